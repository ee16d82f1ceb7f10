// The `Logs` the CLI and the dashboard read: the control plane's `logs` service through a client.
// TEMPORARY: a thin adapter until logs-core's logsFromEnv (src/platform/logs/index.ts) is merged.
import type { LogQuery, LogRecord, Logs, LogSource } from '../../platform/logs/logs.ts';
import type { Client } from '../../runtime/client/client.ts';

/** The logs MICRO_LOGS names: the control plane's `logs` service, called through client. */
export function openLogs(client: Client): Logs {
  return {
    async write(records) {
      await client.call('logs', 'Log.Write', { records });
    },
    async read(query = {}) {
      return (await client.call<{ records: LogRecord[] }>('logs', 'Log.Read', query)).records;
    },
    async *watch(query: LogQuery, signal: AbortSignal) {
      const stream = await client.stream<LogQuery, LogRecord>('logs', 'Log.Watch');
      const stop = (): void => stream.close();
      signal.addEventListener('abort', stop, { once: true });
      try {
        stream.send(query);
        stream.end();
        for await (const r of stream) {
          if (signal.aborted) return;
          yield r;
        }
      } finally {
        signal.removeEventListener('abort', stop);
        stream.close();
      }
    },
    async sources() {
      return (await client.call<{ sources: LogSource[] }>('logs', 'Log.Sources', {})).sources;
    },
    async close() {},
  };
}
