import type { Argv } from 'yargs';
import type { Sync } from '../platform/sync/sync.ts';
import { notFound } from '../runtime/errors.ts';
import { defineCommand, defineGroup, type Args } from './shared/command.ts';
import { withConnection } from './shared/connect.ts';
import { formatDuration, parseDuration } from './shared/input.ts';
import type { GlobalArgs } from './shared/options.ts';
import { print, table } from './shared/output.ts';

/** Runs fn with the sync the flags name: the control plane's through this command's client by default. */
async function withSync<T>(args: Args<object>, fn: (sync: Sync) => Promise<T>): Promise<T> {
  const [{ syncs }, { pickPlugin }, { badRequest }] = await Promise.all([
    import('../platform/sync/index.ts'),
    import('../runtime/plugins.ts'),
    import('../runtime/errors.ts'),
  ]);
  let make;
  try {
    make = pickPlugin(syncs, 'sync', args.sync, '--sync or MICRO_SYNC');
  } catch (err) {
    throw badRequest('micro.cli', (err as Error).message);
  }
  return withConnection(args, async ({ client }) => {
    const sync = make({ client, address: args.syncAddress || undefined, id: holderId() });
    try {
      return await fn(sync);
    } finally {
      await sync.close();
    }
  });
}

const holderId = (): string =>
  `${process.env.USER ?? 'micro'}@${process.getBuiltinModule('node:os').hostname()}:${process.pid}`;
const inTime = (at: number): string =>
  formatDuration(Math.max(0, Math.ceil((at - Date.now()) / 1000) * 1000));

const locks = defineCommand({
  command: 'locks [prefix]',
  describe: 'List the locks held now, with holder, fencing token and lease',
  builder: (y) => y.positional('prefix', { type: 'string', describe: 'names starting with this' }),
  handler: async (args) => {
    const found = await withSync(args, (s) => s.locks({ prefix: args.prefix }));
    print(args.output, found, (l: typeof found) =>
      l.length === 0
        ? 'no locks held'
        : table(
            ['NAME', 'HOLDER', 'TOKEN', 'LEASE LEFT'],
            l.map((x) => [x.name, x.holder, String(x.token), inTime(x.expiresAt)]),
          ),
    );
  },
});

const leaders = defineCommand({
  command: 'leaders',
  describe: 'List the elections with a leader',
  builder: (y) => y,
  handler: async (args) => {
    const found = await withSync(args, (s) => s.leaders());
    print(args.output, found, (l: typeof found) =>
      l.length === 0
        ? 'no leaders'
        : table(
            ['ELECTION', 'LEADER', 'TERM', 'SINCE'],
            l.map((x) => [x.name, x.id, String(x.term), new Date(x.since).toISOString()]),
          ),
    );
  },
});

const leader = defineCommand({
  command: 'leader <name>',
  describe: "Show an election's leader (a 404 when it has none)",
  builder: (y) =>
    y.positional('name', { type: 'string', demandOption: true, describe: 'election' }),
  handler: async (args) => {
    const found = await withSync(args, (s) => s.leader(args.name));
    if (!found) throw notFound('micro.cli', `election ${args.name} has no leader`);
    print(
      args.output,
      found,
      (l: typeof found) =>
        `${l.name} is led by ${l.id} (term ${l.term}, since ${new Date(l.since).toISOString()})`,
    );
  },
});

const lock = defineCommand({
  command: 'lock <name> [command..]',
  describe: 'Run a command while holding a lock (micro sync lock NAME -- COMMAND ...)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'the lock' })
      .positional('command', {
        type: 'string',
        array: true,
        describe: 'the command and its arguments',
      })
      .option('ttl', {
        type: 'string',
        default: '15s',
        describe: 'lease: how long after this process dies the lock frees',
      })
      .option('wait', {
        type: 'string',
        default: '0',
        describe: 'how long to wait for the lock (a 409 after)',
      })
      .example('micro sync lock nightly-report -- ./report.sh', '')
      .example('micro sync lock migrate --wait 1m -- npm run migrate', ''),
  handler: async (args) => {
    // What follows `--` is left in argv._ after the words `sync lock`, flags and all.
    const command = [...(args.command ?? []), ...args._.slice(2)].map(String);
    const [file, ...rest] = command;
    const { badRequest } = await import('../runtime/errors.ts');
    if (!file)
      throw badRequest('micro.cli', 'name the command to run: micro sync lock NAME -- COMMAND');
    const ttl = parseDuration(args.ttl, 'ttl');
    const wait = parseDuration(args.wait, 'wait');
    const code = await withSync(args, async (sync) => {
      const held = await sync.lock(args.name, { ttl, wait });
      const { runHolding } = await import('./sync-run.ts');
      return runHolding(held, file, rest);
    });
    process.exitCode = code;
  },
});

/** `micro sync locks|leaders|leader NAME|lock NAME -- COMMAND`. */
export const syncCommand = defineGroup({
  command: 'sync',
  describe: 'List locks and leaders, or run a command holding a lock',
  subcommands: [locks, leaders, leader, lock],
  missing: 'sync what? micro sync locks | leaders | leader NAME | lock NAME -- COMMAND',
});
