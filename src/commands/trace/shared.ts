// What the `micro trace` commands share: the trace service the global flags name (the control
// plane's, through this command's client), the filters' parsing with a 400 naming the flag, and
// the trace id given.
import type { Trace, TraceQuery } from '../../platform/trace/trace.ts';
import type { Client } from '../../runtime/client/client.ts';
import { badRequest } from '../../runtime/errors.ts';
import type { Args } from '../shared/command.ts';
import { withConnection } from '../shared/connect.ts';
import { parseTime } from '../shared/events.ts';
import { parseDuration } from '../shared/input.ts';

const CLI = 'micro.cli';

/** Runs fn with the control plane's trace service and this command's client. */
export async function withTrace<T>(
  args: Args<object>,
  fn: (trace: Trace, client: Client) => Promise<T>,
): Promise<T> {
  const { traceFromEnv } = await import('../../platform/trace/index.ts');
  return withConnection(args, async ({ client }) => {
    const trace = traceFromEnv(process.env, { client });
    try {
      return await fn(trace, client);
    } finally {
      await trace.close();
    }
  });
}

/** The flags of `micro trace list`. */
export interface ListFlags {
  service?: string;
  endpoint?: string;
  status?: string;
  min?: string;
  max?: string;
  since?: string;
  until?: string;
  limit?: number;
}

/** The query the flags of `micro trace list` name; a bad value is a 400 naming its flag. */
export function listQuery(f: ListFlags): TraceQuery {
  if (f.status !== undefined && f.status !== 'ok' && f.status !== 'error')
    throw badRequest(CLI, `--status must be ok or error, not ${JSON.stringify(f.status)}`);
  if (f.limit !== undefined && !(Number.isInteger(f.limit) && f.limit >= 1 && f.limit <= 500))
    throw badRequest(CLI, `-n must be a whole number from 1 to 500, not ${f.limit}`);
  const min = parseDuration(f.min, 'min');
  const max = parseDuration(f.max, 'max');
  const q: TraceQuery = {
    ...(f.service && { service: f.service }),
    ...(f.endpoint && { endpoint: f.endpoint }),
    ...(f.status && { status: f.status }),
    ...(min !== undefined && { minDuration: min }),
    ...(max !== undefined && { maxDuration: max }),
    ...(f.since !== undefined && { since: parseTime(f.since, 'since') }),
    ...(f.until !== undefined && { until: parseTime(f.until, 'until') }),
    limit: f.limit ?? 50,
  };
  return q;
}

/** A trace id as the store keeps it (32 lower-case hex digits); anything else is a 400. */
export function traceId(id: string): string {
  const lower = id.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(lower) || /^0+$/.test(lower))
    throw badRequest(
      CLI,
      `a trace id is 32 hex digits (micro trace list shows them), not ${JSON.stringify(id.slice(0, 80))}`,
    );
  return lower;
}
