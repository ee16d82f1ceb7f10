// `micro config get|set|delete|history|diff|rollback|watch|schema`: a namespace's config tree in the
// control plane (or the engine --config names), changes recorded as made by this user.
import type { Argv } from 'yargs';
import type { Config, ConfigDiff, ConfigEvent, ConfigVersion } from '../platform/config/config.ts';
import { defineCommand, defineGroup, type Args } from './shared/command.ts';
import { parseValue } from './shared/input.ts';
import { badRequest } from '../runtime/errors.ts';
import type { GlobalArgs } from './shared/options.ts';
import { json, print, table } from './shared/output.ts';

/** The options every config command takes. */
interface ConfigArgs {
  namespace?: string;
}

const ID = 'micro.cli';

/** Adds --namespace (--config and --config-address are global options). */
const withConfigOptions = <T>(y: Argv<T>): Argv<T & ConfigArgs> =>
  y.option('namespace', {
    alias: 'n',
    type: 'string',
    describe: 'the namespace (a service name); default micro [MICRO_NAMESPACE]',
  });

/** Runs fn with the Config the options name, changes made as this user, then closes it. */
export async function withConfig<T>(
  args: Args<ConfigArgs>,
  fn: (c: Config) => Promise<T>,
): Promise<T> {
  const [{ configs, createMicroConfig }, { pickPlugin }, { badRequest }, { userInfo }] =
    await Promise.all([
      import('../platform/config/index.ts'),
      import('../runtime/plugins.ts'),
      import('../runtime/errors.ts'),
      import('node:os'),
    ]);
  const author = process.env.USER || userInfo().username;
  const namespace = args.namespace;
  if (args.config === 'micro' && !args.configAddress) {
    const { withConnection } = await import('./shared/connect.ts');
    return withConnection(args, ({ client }) => {
      const config = createMicroConfig({ client, author, namespace });
      return fn(config).finally(() => config.close());
    });
  }
  let make;
  try {
    make = pickPlugin(configs, 'config', args.config, '--config or MICRO_CONFIG');
  } catch (err) {
    throw badRequest(ID, (err as Error).message);
  }
  const config = make({ address: args.configAddress, author, namespace });
  try {
    return await fn(config);
  } finally {
    await config.close();
  }
}

const oneLine = (v: unknown): string => (v === undefined ? '(none)' : json(v, false));
const describeVersion = (v: ConfigVersion): string =>
  `version ${v.version}: ${v.action}${v.from === undefined ? '' : ` to version ${v.from}`} ${v.path === '' ? '(the whole tree)' : v.path} by ${v.author}`;
const describeDiff = (d: ConfigDiff): string =>
  d.before === undefined
    ? `+ ${d.path}: ${oneLine(d.after)}`
    : d.after === undefined
      ? `- ${d.path}: ${oneLine(d.before)}`
      : `~ ${d.path}: ${oneLine(d.before)} -> ${oneLine(d.after)}`;
const describeEvent = (e: ConfigEvent): string =>
  `version ${e.version} by ${e.author}: ${e.path === '' ? '(the whole tree)' : e.path} ${e.value === undefined ? 'deleted' : `= ${oneLine(e.value)}`}`;

/** A subcommand: its own arguments plus the config options, run against the chosen Config. */
function sub<A>(
  command: string,
  describe: string,
  builder: (y: Argv<GlobalArgs & ConfigArgs>) => Argv<GlobalArgs & ConfigArgs & A>,
  run: (c: Config, args: Args<ConfigArgs & A>) => Promise<void>,
) {
  return defineCommand<ConfigArgs & A>({
    command,
    describe,
    builder: (y) => builder(withConfigOptions(y)),
    handler: (args) => withConfig(args, (c) => run(c, args)),
  });
}

const ifVersion = {
  type: 'number',
  describe: 'apply only if the namespace is at this version (409 otherwise)',
} as const;

const get = sub(
  'get [path]',
  'Print the value at a path (the whole tree without one)',
  (y) =>
    y.positional('path', { type: 'string', default: '' }).example('micro config get db.pool', ''),
  async (c, args) => {
    const got = await c.get(args.path, {});
    if (got.value === undefined) {
      const { notFound } = await import('../runtime/errors.ts');
      throw notFound(
        ID,
        `no value at ${args.path} (namespace ${args.namespace ?? 'micro'}, version ${got.version})`,
      );
    }
    print(args.output, got, () => json(got.value));
  },
);

const set = sub(
  'set <path> <value>',
  'Set the value at a path: JSON, or a bare word taken as a string',
  (y) =>
    y
      .positional('path', { type: 'string', demandOption: true })
      .positional('value', { type: 'string', demandOption: true })
      .option('if-version', ifVersion)
      .example('micro config set db.pool.max 20', '')
      .example('micro config set features \'{"beta":true}\' --namespace greeter', ''),
  async (c, args) => {
    const v = await c.set(args.path, await parseValue(args.value), {
      ifVersion: args.ifVersion,
    });
    print(args.output, v, describeVersion);
  },
);

const remove = sub(
  'delete <path>',
  'Delete the value at a path',
  (y) =>
    y.positional('path', { type: 'string', demandOption: true }).option('if-version', ifVersion),
  async (c, args) =>
    print(args.output, await c.delete(args.path, { ifVersion: args.ifVersion }), describeVersion),
);

const history = sub(
  'history',
  'List the versions of the namespace, newest first',
  (y) =>
    y
      .option('limit', { type: 'number', describe: 'at most this many (default 100)' })
      .option('before', { type: 'number', describe: 'only versions below this one' }),
  async (c, args) => {
    const versions = await c.history({ limit: args.limit, before: args.before });
    print(args.output, versions, (vs: ConfigVersion[]) =>
      vs.length === 0
        ? 'no versions'
        : table(
            ['VERSION', 'WHEN', 'AUTHOR', 'ACTION', 'PATH'],
            vs.map((v) => [
              String(v.version),
              new Date(v.at).toISOString(),
              v.author,
              v.from === undefined ? v.action : `${v.action} to ${v.from}`,
              v.path === '' ? '(the whole tree)' : v.path,
            ]),
          ),
    );
  },
);

const diff = sub(
  'diff <from> [to]',
  'Show what changed between two versions (to: the latest by default)',
  (y) =>
    y
      .positional('from', { type: 'number', demandOption: true })
      .positional('to', { type: 'number' })
      .example('micro config diff 3', ''),
  async (c, args) => {
    const changes = await c.diff(args.from, args.to);
    print(args.output, changes, (cs: ConfigDiff[]) =>
      cs.length === 0 ? 'no differences' : cs.map(describeDiff).join('\n'),
    );
  },
);

const rollback = sub(
  'rollback <to-version>',
  'Make the tree what it was at a version, as a new version',
  (y) =>
    y
      .positional('to-version', { type: 'number', demandOption: true })
      .option('if-version', ifVersion),
  async (c, args) =>
    print(
      args.output,
      await c.rollback(args.toVersion, { ifVersion: args.ifVersion }),
      describeVersion,
    ),
);

const watch = sub(
  'watch [path]',
  'Print each change under a path as it happens, until interrupted (or --count changes)',
  (y) =>
    y
      .positional('path', { type: 'string', default: '' })
      .option('count', { type: 'number', describe: 'stop after this many changes [MICRO_COUNT]' }),
  async (c, args) => {
    if (args.count !== undefined && !(Number.isInteger(args.count) && args.count >= 1))
      throw badRequest(
        'micro.cli',
        `--count must be a whole number of at least 1, not ${args.count}`,
      );
    const { untilSignal } = await import('./shared/signals.ts');
    const watcher = c.watch(args.path);
    void untilSignal().then(() => watcher.stop());
    await watcher.ready;
    process.stderr.write(
      `watching ${args.path || '(the whole tree)'} in namespace ${args.namespace ?? 'micro'}\n`,
    );
    let seen = 0;
    for await (const e of watcher) {
      process.stdout.write(
        args.output === 'json' ? `${json(e, false)}\n` : `${describeEvent(e)}\n`,
      );
      if (++seen === args.count) break;
    }
    watcher.stop();
  },
);

const schema = sub(
  'schema [file]',
  "Print the namespace's JSON Schema, or set it from a file (- for stdin)",
  (y) =>
    y
      .positional('file', { type: 'string' })
      .option('remove', { type: 'boolean', default: false, describe: 'remove the schema' })
      .example('micro config schema schema.json --namespace greeter', ''),
  async (c, args) => {
    if (args.remove) return void (await c.setSchema(undefined));
    if (args.file === undefined) {
      const s = await c.schema();
      return print(args.output, s ?? null, () => (s === undefined ? 'no schema' : json(s)));
    }
    const { readFile } = await import('node:fs/promises');
    const { parseJson, readStdin } = await import('./shared/input.ts');
    const { badRequest } = await import('../runtime/errors.ts');
    // yargs gives a lone `-` as ''.
    const file = args.file === '' ? '-' : args.file;
    const text =
      file === '-'
        ? await readStdin()
        : await readFile(file, 'utf8').catch((err: Error) => {
            throw badRequest(ID, `cannot read the schema file ${file}: ${err.message}`);
          });
    await c.setSchema(parseJson(text, file === '-' ? 'standard input' : file) as object);
    print(args.output, {}, () => `schema set for namespace ${args.namespace ?? 'micro'}`);
  },
);

/** `micro config ...`: read, change, version and watch a namespace's config. */
export const configCommand = defineGroup({
  command: 'config',
  describe: "Read, change, version and watch a namespace's config",
  subcommands: [get, set, remove, history, diff, rollback, watch, schema],
  missing: 'config what? micro config get|set|delete|history|diff|rollback|watch|schema',
});
