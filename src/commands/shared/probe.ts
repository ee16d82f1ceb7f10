import type { CommandModule } from 'yargs';
import type { Node, Service } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { ErrorShape } from '../../runtime/errors.ts';
import { defineCommand } from './command.ts';
import { withConnection, type Connection } from './connect.ts';
import { parseDuration } from './input.ts';
import { print } from './output.ts';

/** What one node answered to a probe. */
export interface Probe<T = unknown> {
  version: string;
  node: Node;
  /** Milliseconds until the answer or the failure. */
  ms: number;
  body?: T;
  error?: ErrorShape;
  /** The node answered but has no such endpoint: an app behind a sidecar, which has no Debug.*. */
  unsupported?: true;
}

/** True when an app registered by a sidecar itself answered 404: it is up, without that endpoint. */
export const lacksEndpoint = (node: Node, err: ErrorShape): boolean =>
  node.metadata.sidecar === 'true' && err.code === 404 && err.id !== 'micro.client';

/** Calls an endpoint (Debug.Health, Debug.Stats) on every node of every version, each directly over its own transport. */
export async function probeNodes<T>(
  client: Client,
  versions: Service[],
  endpoint: string,
  timeout: number,
): Promise<Probe<T>[]> {
  const { toMicroError } = await import('../../runtime/errors.ts');
  const jobs = versions.flatMap((s) =>
    s.nodes.map(async (node): Promise<Probe<T>> => {
      const start = performance.now();
      const took = () => Math.round((performance.now() - start) * 10) / 10;
      try {
        const body = await client.call<T>(s.name, endpoint, {}, { node, timeout, retries: 0 });
        return { version: s.version, node, ms: took(), body };
      } catch (err) {
        const error = toMicroError(err, 'micro.cli').toJSON();
        if (lacksEndpoint(node, error))
          return { version: s.version, node, ms: took(), unsupported: true };
        return { version: s.version, node, ms: took(), error };
      }
    }),
  );
  return Promise.all(jobs);
}

/** The `--timeout` flag of the commands that probe nodes (health, stats, doctor). */
export const timeoutFlag = (waitsFor = 'each node') =>
  ({
    alias: 't',
    type: 'string',
    default: '2s',
    describe: `how long to wait for ${waitsFor} (500, 2s) [MICRO_TIMEOUT]`,
  }) as const;

/** Milliseconds from the `--timeout` flag; 2 s when it is not a duration. */
export const probeTimeout = (value: string): number => parseDuration(value) ?? 2000;

/** What a command that probes every node of one service (health, stats) is made of. */
export interface ProbeCommand<T, R> {
  command: string;
  describe: string;
  /** The endpoint called on each node, e.g. Debug.Health. */
  endpoint: string;
  /** A node's answer as a printed row. */
  row: (probe: Probe<T>) => R;
  /** The rows as text (the JSON output prints them as they are). */
  text: (rows: R[]) => string;
  /** True when the command exits 1. */
  failed: (rows: R[]) => boolean;
}

/** Makes `micro <command> SERVICE [--timeout]`: the endpoint on every node, a row each. */
export function defineProbeCommand<T, R>(o: ProbeCommand<T, R>): CommandModule {
  return defineCommand({
    command: o.command,
    describe: o.describe,
    builder: (y) =>
      y
        .positional('service', { type: 'string', demandOption: true })
        .option('timeout', timeoutFlag()),
    handler: async (args) => {
      const timeout = probeTimeout(args.timeout);
      const rows = await withConnection(args, async (c) => {
        const probes = await probeService<T>(c, args.service, o.endpoint, timeout);
        return probes.map(o.row);
      });
      print(args.output, rows, o.text);
      if (o.failed(rows)) process.exitCode = 1;
    },
  });
}

/** Calls an endpoint on every node of the named service, found through the connection's registry. */
export async function probeService<T>(
  { registry, client }: Connection,
  service: string,
  endpoint: string,
  timeout: number,
): Promise<Probe<T>[]> {
  return probeNodes<T>(client, await registry.getService(service), endpoint, timeout);
}
