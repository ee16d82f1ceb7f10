// What every `micro db` command shares: the --database option, the db the global flags name, and
// reading DATA and WHERE arguments.
import type { Argv } from 'yargs';
import type { Db, DbRecord, JsonObject } from '../../platform/db/db.ts';
import { badRequest } from '../../runtime/errors.ts';
import type { Args } from '../shared/command.ts';
import { parseJson, readStdin } from '../shared/input.ts';

/** The option every `micro db` command takes, besides the global --db and --db-address. */
export interface DbArgs {
  database?: string;
}

/**
 * Adds --database. It has no yargs default (yargs would give `collections` one too): the commands
 * on one collection use `micro` without it (ns, named), `collections` lists every database's.
 */
export const withDatabase = <T>(y: Argv<T>, fallback = 'micro'): Argv<T & DbArgs> =>
  y
    .option('database', {
      type: 'string',
      describe: `the collections' database (default: ${fallback}) [MICRO_DATABASE]`,
    })
    // An id or a version given as a positional stays as typed (007 is not 7).
    .parserConfiguration({ 'parse-positional-numbers': false });

/** Runs fn with the db the flags name, then closes it; an unknown name is a 400 listing the valid ones. */
export async function withDb<T>(args: Args<DbArgs>, fn: (db: Db) => Promise<T>): Promise<T> {
  const [{ databases }, { pickPlugin }] = await Promise.all([
    import('../../platform/db/index.ts'),
    import('../../runtime/plugins.ts'),
  ]);
  let make;
  try {
    make = pickPlugin(databases, 'db', args.db, '--db or MICRO_DB');
  } catch (err) {
    throw badRequest('micro.cli', (err as Error).message);
  }
  const run = async (db: Db): Promise<T> => {
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  // The control plane's db goes through this command's client, which sends the CLI's token.
  if (args.db === 'micro' && !args.dbAddress) {
    const { withConnection } = await import('../shared/connect.ts');
    return withConnection(args, ({ client }) => run(make({ client })));
  }
  return run(make({ ...(args.dbAddress && { address: args.dbAddress }) }));
}

/** A DATA or WHERE argument: a JSON object (`-` reads it from standard input). */
export async function object(given: unknown, what: string): Promise<JsonObject> {
  // yargs reads a lone `-` as an empty flag, so the command line says whether one was given.
  const dash = given === '-' || ((given === '' || given === true) && process.argv.includes('-'));
  const text = dash ? await readStdin() : String(given);
  // parseJson reads blank text as {} (micro call's empty request); a record is never blank.
  if (text.trim() === '')
    throw badRequest('micro.cli', `${what} was empty: give a JSON object, e.g. '{"name":"Ann"}'`);
  const value = parseJson(text, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('micro.cli', `${what} must be a JSON object, e.g. '{"name":"Ann"}'`);
  return value as JsonObject;
}

/** The database of a command on one collection: --database, else `micro`. */
export const ns = (args: DbArgs) => ({ database: args.database ?? 'micro' });
export const named = (args: DbArgs & { collection: string }, id?: string) =>
  `${args.database ?? 'micro'}/${args.collection}${id === undefined ? '' : `/${id}`}`;
export const oneLine = (v: unknown): string => {
  const text = JSON.stringify(v) ?? '';
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};
export const written = (verb: string) => (r: DbRecord) => `${verb} ${r.id} (version ${r.version})`;

export const coll = { type: 'string', demandOption: true, describe: 'the collection' } as const;
export const idArg = { type: 'string', demandOption: true, describe: "the record's id" } as const;
export const json = (describe: string) =>
  ({ type: 'string', demandOption: true, describe }) as const;
export const ifVersion = {
  type: 'number',
  describe: "only if the record's version is still this one (409 otherwise) [MICRO_IF_VERSION]",
} as const;
