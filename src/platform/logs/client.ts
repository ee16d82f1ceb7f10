// The `micro` logs, what services and the CLI use: the Logs interface served by the control
// plane's `logs` service, called through a runtime Client (a service's own, or one made here that
// finds the control plane at `address`, 127.0.0.1:8000 by default). Records and queries are
// checked here too, so a bad one is the same 400 without a call. A watch is the `Log.Watch`
// server stream; when the stream breaks it is opened again (backing off up to 5 s) after the last
// id seen, so no stored line is missed, until the signal aborts.
import type { Client } from '../../runtime/client/client.ts';
import { toMicroError } from '../../runtime/errors.ts';
import { connect, CONTROL_PLANE_ADDRESS } from '../store/client.ts';
import type { LogQuery, LogRecord, Logs, LogSource } from './logs.ts';
import { checkQuery, checkRecords, LOGS_ID } from './validate.ts';

/** Options of the control plane's logs client. */
export interface MicroLogsOptions {
  /** The client to call through (a service's own); without it one is made for `address`. */
  client?: Client;
  /** The control plane's `host:port`, when no client is given (default 127.0.0.1:8000). */
  address?: string;
  /** The calling service's name, for the client made here. */
  from?: string;
  /** Ms a call waits for its answer (default 5,000). */
  timeout?: number;
}

const SERVICE = 'logs';

/** Logs that calls the control plane's `logs` service. */
export function createMicroLogs(options: MicroLogsOptions = {}): Logs {
  const address = options.address ?? CONTROL_PLANE_ADDRESS;
  const timeout = options.timeout ?? 5000;
  let own: Promise<Client> | undefined;
  const client = (): Promise<Client> =>
    options.client ? Promise.resolve(options.client) : (own ??= connect(address, options.from));
  const call = async <T>(endpoint: string, body: object): Promise<T> => {
    try {
      return await (await client()).call<T>(SERVICE, `Log.${endpoint}`, body, { timeout });
    } catch (err) {
      throw toMicroError(err, LOGS_ID);
    }
  };
  const closing = new AbortController();

  async function* watch(query: LogQuery, signal: AbortSignal): AsyncGenerator<LogRecord> {
    const { limit: _limit, ...q } = checkQuery(query);
    const both = AbortSignal.any([signal, closing.signal]);
    let after = q.after;
    let wait = 100;
    while (!both.aborted) {
      let stream: Awaited<ReturnType<Client['stream']>> | undefined;
      const abort = (): void => stream?.close();
      both.addEventListener('abort', abort);
      try {
        stream = await (await client()).stream<LogQuery, LogRecord>(SERVICE, 'Log.Watch');
        if (both.aborted) return;
        stream.send({ ...q, ...(after !== undefined && { after }) });
        stream.end();
        for await (const r of stream as AsyncIterable<LogRecord>) {
          wait = 100;
          if (r.id !== undefined) after = r.id;
          yield r;
        }
      } catch (err) {
        const e = toMicroError(err, LOGS_ID);
        // A refused query is refused again: said once, not retried.
        if (e.code === 400 || e.code === 401 || e.code === 403) throw e;
      } finally {
        both.removeEventListener('abort', abort);
        stream?.close();
      }
      if (both.aborted) return;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 5000);
    }
  }

  return {
    async write(records) {
      const checked = checkRecords(records);
      if (checked.length > 0) await call('Write', { records: checked });
    },
    async read(query = {}) {
      checkQuery(query);
      return (await call<{ records: LogRecord[] }>('Read', query)).records;
    },
    watch,
    async sources() {
      return (await call<{ sources: LogSource[] }>('Sources', {})).sources;
    },
    async close() {
      closing.abort();
      if (own) await (await own).close();
    },
  };
}
