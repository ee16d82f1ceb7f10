import type { CommandModule } from 'yargs';
import { probeNodes, type Probe } from '../../platform/monitor/probe.ts';
import { defineCommand } from './command.ts';
import { withConnection, type Connection } from './connect.ts';
import { parseDuration } from './input.ts';
import { print } from './output.ts';

export { lacksEndpoint, probeNodes, type Probe } from '../../platform/monitor/probe.ts';

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
