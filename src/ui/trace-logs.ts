// The log lines written in a trace, read from the control plane's `logs` service (Log.Read by
// trace id) for the CLI's waterfall, the dashboard's trace page and the explorer. A trace is
// still worth showing without them: when no logs service answers, the answer is a note saying
// so, never a failure.
import type { LogRecord } from '../platform/logs/logs.ts';
import type { Client } from '../runtime/client/client.ts';
import { toMicroError } from '../runtime/errors.ts';

/** A trace's log lines, or why there are none (no logs service, or it failed). */
export type TraceLogs = { records: LogRecord[] } | { note: string };

/** Most lines read for one trace. */
export const MAX_TRACE_LOGS = 1000;

/** Reads the log lines written in a trace from the `logs` service; its absence is a note, not a failure. */
export async function traceLogs(client: Client, id: string): Promise<TraceLogs> {
  try {
    const rsp = await client.call<{ records?: LogRecord[] }>(
      'logs',
      'Log.Read',
      { trace: id, limit: MAX_TRACE_LOGS },
      { timeout: 5000 },
    );
    // Lines of several services are stored as their batches came: shown in the order written.
    const records = Array.isArray(rsp.records) ? [...rsp.records] : [];
    records.sort((a, b) => a.time - b.time);
    return { records };
  } catch (err) {
    const e = toMicroError(err, 'micro');
    return {
      note:
        e.code === 404 || e.code === 503
          ? 'no log lines shown: no logs service answered'
          : `no log lines shown: the logs service answered ${e.code} ${e.detail}`,
    };
  }
}
