// The bot's registry commands, as the CLI's: list services (NAME VERSIONS NODES, one page of at most
// MAX_ROWS names), get service <name> (versions, nodes, endpoints, request schemas), health
// <service> (each node's Debug.Health probed directly, with the control plane's monitor's view when
// it has one), and register/deregister <json> (a Service record, validated; they change state).
// Registry failures are MicroErrors with their wire codes (not found 404, invalid 400).
import { createMicroMonitor } from '../../platform/monitor/client.ts';
import type { CheckResult, NodeStatus } from '../../platform/monitor/monitor.ts';
import { answering, checksText, healthOf, probeNodes } from '../../platform/monitor/probe.ts';
import { compareNatural, listPage } from '../../registry/listing.ts';
import type { Service } from '../../registry/registry.ts';
import { isTopic } from '../../registry/topics.ts';
import { serviceRecords } from '../../registry/util.ts';
import { badRequest } from '../../runtime/errors.ts';
import { schemaType } from '../../ui/schema.ts';
import type { Answer, Command, CommandContext, Part } from '../bot.ts';
import {
  BOT_ID,
  cell,
  checkSignal,
  jsonArg,
  MAX_ROWS,
  orMicroError,
  rest,
  signalled,
  tableOf,
  usageError,
} from './parts.ts';

/** Ms each node's Debug.Health (and the monitor) may take, as `micro health`'s default. */
export const PROBE_TIMEOUT = 2000;

/** Records one register or deregister takes at most. */
export const MAX_RECORDS = 100;

const pairs = (m: Record<string, string> | undefined): string =>
  Object.keys(m ?? {}).length === 0
    ? '-'
    : Object.entries(m ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');

/** `list services`: one row per name, natural order. */
export const listServices: Command = {
  name: 'list services',
  pattern: /^list services?$/i,
  usage: 'list services',
  description: 'the services in the registry: name, versions, node count',
  async run(ctx) {
    const page = await orMicroError(() =>
      listPage(ctx.registry, { summary: true, limit: MAX_ROWS }),
    );
    checkSignal(ctx.signal);
    const found = page.summaries.filter((s) => !isTopic(s.name));
    if (found.length === 0) return [{ kind: 'text', text: 'no services registered' }];
    const rows = found.map((s) => [s.name, s.versions.join(', '), String(s.nodes)]);
    const parts: Part[] = [{ kind: 'table', header: ['NAME', 'VERSIONS', 'NODES'], rows }];
    if (page.next !== undefined)
      parts.push({
        kind: 'text',
        text: `… the first ${MAX_ROWS} names only: micro list services shows every one`,
      });
    return parts;
  },
};

/** One version of a service as parts: a heading, its nodes, its endpoints. */
function versionParts(s: Service): Answer {
  const more = `micro get service ${s.name} shows every one`;
  const endpoints = s.endpoints ?? [];
  return [
    { kind: 'text', text: `${s.name} ${s.version} (metadata: ${pairs(s.metadata)})` },
    ...tableOf(
      ['NODE', 'ADDRESS', 'METADATA'],
      s.nodes.map((n) => [n.id, n.address, cell(pairs(n.metadata))]),
      more,
    ),
    ...(endpoints.length === 0
      ? [{ kind: 'text', text: 'no endpoints' } as const]
      : tableOf(
          ['ENDPOINT', 'STREAM', 'REQUEST', 'RESPONSE'],
          endpoints.map((e) => [
            e.name,
            e.metadata?.stream ?? (e.metadata?.subscriber === 'true' ? 'subscriber' : '-'),
            cell(schemaType(e.request).replace(/\s+/g, ' ')),
            cell(schemaType(e.response).replace(/\s+/g, ' ')),
          ]),
          more,
        )),
  ];
}

/** The request schemas of a service's endpoints, by name (the first version's that has one). */
function requestSchemas(versions: Service[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of versions)
    for (const e of (s.endpoints ?? []).slice(0, MAX_ROWS))
      if (e.request && Object.keys(e.request).length > 0 && !(e.name in out))
        out[e.name] = e.request;
  return out;
}

/** `get service <name>`: each version's nodes and endpoints, then the request schemas as JSON. */
export const getService: Command = {
  name: 'get service',
  pattern: /^get service\b/i,
  usage: 'get service <name>',
  description: "a service's versions, nodes and endpoints, with their request schemas",
  async run(ctx, args) {
    const [name, extra] = args;
    if (name === undefined || extra !== undefined) throw usageError(getService, 'name one service');
    const versions = await orMicroError(() => ctx.registry.getService(name));
    checkSignal(ctx.signal);
    versions.sort((a, b) => compareNatural(a.version, b.version));
    const schemas = requestSchemas(versions);
    return [
      ...versions.slice(0, 20).flatMap(versionParts),
      ...(versions.length > 20
        ? [{ kind: 'text', text: `… and ${versions.length - 20} more versions` } as const]
        : []),
      ...(Object.keys(schemas).length > 0
        ? [
            { kind: 'text', text: 'request schemas:' } as const,
            { kind: 'json', value: schemas } as const,
          ]
        : []),
    ];
  },
};

/** The monitor's statuses of one service, or undefined when no monitor answers. */
async function monitorOf(ctx: CommandContext, service: string): Promise<NodeStatus[] | undefined> {
  const monitor = createMicroMonitor({
    client: signalled(ctx.client, ctx.signal),
    timeout: PROBE_TIMEOUT,
  });
  try {
    return await monitor.status({ service });
  } catch (err) {
    // No monitor service (the client's lookup says 404): the probes alone answer.
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  } finally {
    await monitor.close();
  }
}

/** The versions with their first `max` nodes in all, and how many nodes were left out. */
export function firstNodes(versions: Service[], max: number): [Service[], number] {
  let left = max;
  let skipped = 0;
  const kept = versions.map((s) => {
    const nodes = s.nodes.slice(0, Math.max(0, left));
    left -= nodes.length;
    skipped += s.nodes.length - nodes.length;
    return { ...s, nodes };
  });
  return [kept.filter((s) => s.nodes.length > 0), skipped];
}

/** `health <service>`: every node's Debug.Health, probed now, and what the monitor last saw. */
export const health: Command = {
  name: 'health',
  pattern: /^health\b/i,
  usage: 'health <service>',
  description: "each node's health, probed now (Debug.Health), with the monitor's view",
  async run(ctx, args) {
    const [name, extra] = args;
    if (name === undefined || extra !== undefined) throw usageError(health, 'name one service');
    const [versions, skipped] = firstNodes(
      await orMicroError(() => ctx.registry.getService(name)),
      MAX_ROWS,
    );
    const [probes, seen] = await Promise.all([
      probeNodes<{ status?: string; checks?: CheckResult[] }>(
        ctx.client,
        versions,
        'Debug.Health',
        PROBE_TIMEOUT,
        { id: BOT_ID, signal: ctx.signal },
      ),
      monitorOf(ctx, name).catch(() => undefined),
    ]);
    checkSignal(ctx.signal);
    const rows = probes.map((p) => healthOf(p));
    const healthy = rows.filter((r) => answering(r.status)).length;
    const cells = rows.map((r) => {
      const m = seen?.find((n) => n.node === r.node && n.version === r.version);
      return [
        r.node,
        r.address,
        r.version,
        r.status,
        `${r.ms} ms`,
        cell(checksText(r.checks ?? [])),
        r.error ? cell(`${r.error.code} ${r.error.detail}`) : '-',
        m && m.status !== 'unknown' ? `${m.status} since ${new Date(m.since).toISOString()}` : '-',
      ];
    });
    return [
      ...tableOf(
        ['NODE', 'ADDRESS', 'VERSION', 'STATUS', 'LATENCY', 'CHECKS', 'ERROR', 'MONITOR'],
        cells,
        `micro health ${name} shows every one`,
      ),
      {
        kind: 'text',
        text: `${healthy} of ${rows.length} node${rows.length === 1 ? '' : 's'} healthy${skipped > 0 ? ` (${skipped} more not probed: micro health ${name} probes every one)` : ''}`,
      },
    ];
  },
};

/** The records of a register/deregister: one JSON argument (a record, or an array of at most MAX_RECORDS). */
function recordsArg(command: Command, args: string[]): Service[] {
  // `register service {...}`, as the original and the CLI write it.
  const words = args[0]?.toLowerCase() === 'service' ? args.slice(1) : args;
  const text = rest(words, 0);
  if (text === undefined) throw usageError(command, 'give the service record as JSON');
  const value = jsonArg(text, 'the service record');
  if (Array.isArray(value) && value.length > MAX_RECORDS)
    throw usageError(command, `at most ${MAX_RECORDS} records at once, not ${value.length}`);
  try {
    return serviceRecords(value);
  } catch (err) {
    throw badRequest(BOT_ID, (err as Error).message);
  }
}

const nodesText = (s: Service): string =>
  `${s.nodes.length} node${s.nodes.length === 1 ? '' : 's'}`;

/** `register <json>`: a Service record added to the registry (with the registry's default lease). */
export const register: Command = {
  name: 'register',
  pattern: /^register\b/i,
  usage: 'register <json>',
  description:
    'register a service record: {"name":"greeter","nodes":[{"id":"greeter-1","address":"127.0.0.1:9090"}]}',
  changes: true,
  async run(ctx, args) {
    const records = recordsArg(register, args);
    const done: string[] = [];
    for (const s of records) {
      checkSignal(ctx.signal);
      await orMicroError(() => ctx.registry.register(s));
      done.push(`registered ${s.name} ${s.version} (${nodesText(s)})`);
    }
    return [{ kind: 'text', text: done.join('\n') }];
  },
};

/** `deregister <json>`: a Service record's nodes removed from the registry. */
export const deregister: Command = {
  name: 'deregister',
  pattern: /^deregister\b/i,
  usage: 'deregister <json>',
  description:
    'remove the nodes a service record names: {"name":"greeter","nodes":[{"id":"greeter-1","address":"127.0.0.1:9090"}]}',
  changes: true,
  async run(ctx, args) {
    const records = recordsArg(deregister, args);
    const done: string[] = [];
    for (const s of records) {
      checkSignal(ctx.signal);
      await orMicroError(() => ctx.registry.deregister(s));
      done.push(`deregistered ${s.nodes.map((n) => n.id).join(', ')} of ${s.name} ${s.version}`);
    }
    return [{ kind: 'text', text: done.join('\n') }];
  },
};

/** The registry commands, in help order. */
export const registryCommands: readonly Command[] = [
  listServices,
  getService,
  health,
  register,
  deregister,
];
