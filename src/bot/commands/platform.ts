// The bot's platform commands, through the platform areas' own clients over the bot's client (the
// control plane's `events`, `store` and `config` services): publish <topic> <json> (a stored
// event; it changes state), store get <key> and store list [prefix] (with `--database`/`--table`
// as the CLI has them), config get <namespace> [path] and config set <namespace> <path> <json>
// (it changes state, made as the chat user). The areas check their input as their servers do, so a
// bad key or namespace is the 400 the server would give. A platform without the area (no control
// plane) is a 503 saying what to run. traces and logs are in observe.ts.
import { createMicroConfig } from '../../platform/config/client.ts';
import { createMicroEvents } from '../../platform/events/client.ts';
import { createMicroStore } from '../../platform/store/client.ts';
import type { Namespace } from '../../platform/store/store.ts';
import { badRequest, notFound, serviceUnavailable, toMicroError } from '../../runtime/errors.ts';
import type { Command, CommandContext } from '../bot.ts';
import {
  BOT_ID,
  cell,
  checkSignal,
  jsonArg,
  MAX_ROWS,
  rest,
  signalled,
  usageError,
  valueArg,
} from './parts.ts';

/** Runs fn with an area's client over the bot's, closing it; an area no one serves is a 503 that says so. */
export async function withArea<A extends { close(): Promise<void> }, T>(
  ctx: CommandContext,
  service: string,
  make: (client: CommandContext['client']) => A,
  fn: (area: A) => Promise<T>,
): Promise<T> {
  const area = make(signalled(ctx.client, ctx.signal));
  try {
    return await fn(area);
  } catch (err) {
    checkSignal(ctx.signal);
    const e = toMicroError(err, BOT_ID);
    // The client's lookup found no such service: the platform is not running.
    if (e.code === 404 && /service .*not found|no such service/i.test(e.detail))
      throw serviceUnavailable(
        BOT_ID,
        `no ${service} service answers in the registry: the platform's areas run in the control plane (micro run, micro server)`,
      );
    throw e;
  } finally {
    await area.close();
  }
}

/** The words of a command split from its `--name value` flags; an unknown flag is a 400 naming the known ones. */
export function withFlags(
  command: Command,
  args: readonly string[],
  known: readonly string[],
): { words: string[]; flags: Record<string, string> } {
  const words: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const m = /^--([a-z]+)(?:=(.*))?$/i.exec(a);
    if (!m) {
      words.push(a);
      continue;
    }
    const name = (m[1] ?? '').toLowerCase();
    if (!known.includes(name))
      throw usageError(
        command,
        `${a.slice(0, 40)} is not a flag of ${command.name}; it takes --${known.join(', --')}`,
      );
    const value = m[2] ?? args[++i];
    if (value === undefined) throw usageError(command, `--${name} needs a value`);
    flags[name] = value;
  }
  return { words, flags };
}

/** The store namespace of `--database`/`--table`, when given. */
const namespaceOf = (flags: Record<string, string>): Namespace => ({
  ...(flags.database !== undefined && { database: flags.database }),
  ...(flags.table !== undefined && { table: flags.table }),
});

const where = (ns: Namespace): string => `${ns.database ?? 'micro'}/${ns.table ?? 'default'}`;

/** `publish <topic> <json>`: one event stored on a topic of the platform's events. */
export const publish: Command = {
  name: 'publish',
  pattern: /^publish\b/i,
  usage: 'publish <topic> <json>',
  target: ([topic]) => `topic:${topic ?? ''}`,
  description: 'store an event on a topic (the platform events): publish orders {"id": 1}',
  changes: true,
  async run(ctx, args) {
    const [topic] = args;
    const text = rest(args, 1);
    if (topic === undefined || text === undefined)
      throw usageError(publish, 'name a topic and give the event as JSON');
    const data = jsonArg(text, 'the event');
    const p = await withArea(
      ctx,
      'events',
      (client) => createMicroEvents({ client }),
      (events) => events.publish(topic, data),
    );
    return [
      {
        kind: 'text',
        text: p.duplicate
          ? `${p.topic} already has this event at offset ${p.offset}: nothing stored`
          : `published to ${p.topic} at offset ${p.offset}`,
      },
    ];
  },
};

/** `store get <key>`: a key's value. */
export const storeGet: Command = {
  name: 'store get',
  pattern: /^store get\b/i,
  usage: 'store get <key> [--database d] [--table t]',
  description: "a key's value in the platform store",
  async run(ctx, args) {
    const { words, flags } = withFlags(storeGet, args, ['database', 'table']);
    const [key, extra] = words;
    if (key === undefined || extra !== undefined) throw usageError(storeGet, 'name one key');
    const ns = namespaceOf(flags);
    const entry = await withArea(
      ctx,
      'store',
      (client) => createMicroStore({ client }),
      (s) => s.get(key, ns),
    );
    if (!entry) throw notFound(BOT_ID, `key ${JSON.stringify(key)} not found in ${where(ns)}`);
    const expires = entry.expiresAt ? `, expires ${new Date(entry.expiresAt).toISOString()}` : '';
    return [
      { kind: 'json', value: entry.value },
      { kind: 'text', text: `${key} in ${where(ns)}, version ${entry.version}${expires}` },
    ];
  },
};

/** `store list [prefix]`: the keys (under a prefix), in byte order. */
export const storeList: Command = {
  name: 'store list',
  pattern: /^store list\b/i,
  usage: 'store list [prefix] [--database d] [--table t]',
  description: `the keys in the platform store (under a prefix), the first ${MAX_ROWS}`,
  async run(ctx, args) {
    const { words, flags } = withFlags(storeList, args, ['database', 'table']);
    const [prefix, extra] = words;
    if (extra !== undefined) throw usageError(storeList, 'give one prefix at most');
    const ns = namespaceOf(flags);
    const page = await withArea(
      ctx,
      'store',
      (client) => createMicroStore({ client }),
      (s) => s.list({ ...ns, prefix: prefix ?? '', limit: MAX_ROWS }),
    );
    const under = prefix ? ` under ${JSON.stringify(prefix)}` : '';
    if (page.entries.length === 0)
      return [{ kind: 'text', text: `no keys in ${where(ns)}${under}` }];
    const rows = page.entries.map((e) => [
      e.key,
      e.version,
      e.expiresAt ? new Date(e.expiresAt).toISOString() : '-',
      cell(e.value),
    ]);
    return [
      { kind: 'table', header: ['KEY', 'VERSION', 'EXPIRES', 'VALUE'], rows },
      ...(page.next !== undefined
        ? [
            {
              kind: 'text',
              text: `… the first ${MAX_ROWS} keys only: micro store list${prefix ? ` ${prefix}` : ''} shows every one`,
            } as const,
          ]
        : []),
    ];
  },
};

/** `config get <namespace> [path]`: the value at a path of a namespace's config (the whole tree without one). */
export const configGet: Command = {
  name: 'config get',
  pattern: /^config get\b/i,
  usage: 'config get <namespace> [path]',
  description: "the value at a path of a namespace's config (the whole tree without one)",
  async run(ctx, args) {
    const [namespace, path = '', extra] = args;
    if (namespace === undefined || extra !== undefined)
      throw usageError(configGet, 'name a namespace, and a path if you like');
    const got = await withArea(
      ctx,
      'config',
      (client) => createMicroConfig({ client, namespace }),
      (c) => c.get(path, {}),
    );
    const at = `namespace ${namespace}, version ${got.version}`;
    if (got.value === undefined)
      throw notFound(BOT_ID, `no value at ${path === '' ? 'the root' : path} (${at})`);
    return [
      { kind: 'json', value: got.value },
      { kind: 'text', text: `${path === '' ? 'the whole tree' : path} (${at})` },
    ];
  },
};

/** `config set <namespace> <path> <json>`: a value set at a path, recorded as made by the chat user. */
export const configSet: Command = {
  name: 'config set',
  pattern: /^config set\b/i,
  usage: 'config set <namespace> <path> <json>',
  target: ([namespace, path]) => `config:${namespace ?? ''}/${path ?? ''}`,
  description:
    "set the value at a path of a namespace's config (JSON, or a bare word for a string)",
  changes: true,
  async run(ctx, args) {
    const [namespace, path] = args;
    const text = rest(args, 2);
    if (namespace === undefined || path === undefined || text === undefined)
      throw usageError(configSet, 'name a namespace and a path, and give the value');
    if (path === '') throw badRequest(BOT_ID, 'a path to set is not empty');
    const value = valueArg(text, 'the value');
    const { input, id } = ctx.message.user;
    const v = await withArea(
      ctx,
      'config',
      (client) => createMicroConfig({ client, namespace, author: `${input}:${id}` }),
      (c) => c.set(path, value),
    );
    return [
      {
        kind: 'text',
        text: `version ${v.version} of ${namespace}: ${v.action} ${v.path} by ${v.author}`,
      },
    ];
  },
};

/** The platform commands for events, the store and config, in help order. */
export const platformCommands: readonly Command[] = [
  publish,
  storeGet,
  storeList,
  configGet,
  configSet,
];
