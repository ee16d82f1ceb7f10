// Shipping a service's lines onwards, besides stdout: MICRO_LOG_FILE=<path> appends each line to a
// file; MICRO_LOG_TOPIC=<topic> publishes each line (a LogRecord) on that events topic; and
// MICRO_LOG_COLLECT=on sends them to the control plane's `logs` service (Log.Write). Topic and
// collect are best effort: lines wait in a bounded queue (10,000) and go in batches of up to 1,000,
// one call at a time, never blocking the writer; lines beyond the queue, or in a batch that could
// not be sent, are dropped and counted (`dropped`), said once on stderr until sending works again.
// The shipper's own calls log nothing and make no spans (suppressTracing), so shipping never
// feeds on itself.
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { pino, type DestinationStream } from 'pino';
import type { LogRecord } from './logs.ts';
import { recordOfLine } from './record.ts';
import { LOGS_LIMITS } from './validate.ts';

/** Lines a shipper holds at most before dropping. */
export const SHIP_QUEUE = 10_000;
/** Ms lines wait to be batched. */
const WAIT = 200;

/** MICRO_LOG_FILE's file, appended to (created with its folder), when set. */
export function fileSink(env: NodeJS.ProcessEnv): DestinationStream | undefined {
  const path = env.MICRO_LOG_FILE;
  if (!path) return undefined;
  return pino.destination({ dest: path, append: true, mkdir: true, sync: true });
}

/** A destination that sends lines in batches, best effort. */
export interface Shipper extends DestinationStream {
  /** Lines dropped so far (queue full, or their batch not sent). */
  readonly dropped: number;
  /** Lines sent so far. */
  readonly sent: number;
  /** Sends what is queued (waiting at most ms), then stops taking lines. */
  close(ms?: number): Promise<void>;
}

/** A shipper of records through `send` (called with at most 1,000 at a time, one call at a time). */
export function createShipper(
  what: string,
  defaults: { service: string; node?: string },
  send: (records: LogRecord[]) => Promise<unknown>,
): Shipper {
  let queue: string[] = [];
  let dropped = 0;
  let sent = 0;
  let failing = false;
  let busy: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = (): Promise<void> =>
    (busy ??= (async () => {
      while (queue.length > 0) {
        const lines = queue.slice(0, LOGS_LIMITS.batch);
        queue = queue.slice(lines.length);
        const records = lines.map((l) => recordOfLine(l.trimEnd(), { ...defaults, level: 'info' }));
        try {
          await context.with(suppressTracing(context.active()), () => send(records));
          sent += records.length;
          failing = false;
        } catch (err) {
          dropped += records.length;
          if (!failing) {
            failing = true;
            process.stderr.write(
              `micro: log lines not shipped to ${what} (${(err as Error).message ?? err}); dropping them until it answers\n`,
            );
          }
        }
      }
    })().finally(() => {
      busy = undefined;
      if (queue.length > 0 && !closed) schedule();
    }));

  const schedule = (): void => {
    if (timer || busy) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, WAIT);
    timer.unref();
  };

  return {
    write(line: string) {
      if (closed || queue.length >= SHIP_QUEUE) {
        dropped++;
        return;
      }
      queue.push(line);
      schedule();
    },
    get dropped() {
      return dropped;
    },
    get sent() {
      return sent;
    },
    async close(ms = 2000) {
      clearTimeout(timer);
      timer = undefined;
      const done = (async () => {
        await busy;
        await flush();
      })();
      let limit: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((r) => (limit = setTimeout(r, ms)))]);
      clearTimeout(limit);
      closed = true;
    },
  };
}

/** What shipFromEnv needs of the service. */
export interface ShipTargets {
  service: string;
  node?: string;
  /** Publishes a batch on a topic (the service's events' publishMany). */
  publish: (topic: string, records: LogRecord[]) => Promise<unknown>;
  /** Writes a batch to the control plane's logs (its Log.Write). */
  collect: (records: LogRecord[]) => Promise<unknown>;
}

/** The shippers MICRO_LOG_TOPIC and MICRO_LOG_COLLECT=on ask for (none when unset). */
export function shipFromEnv(env: NodeJS.ProcessEnv, to: ShipTargets): Shipper[] {
  const out: Shipper[] = [];
  const who = { service: to.service, ...(to.node !== undefined && { node: to.node }) };
  const topic = env.MICRO_LOG_TOPIC;
  if (topic) out.push(createShipper(`topic ${topic}`, who, (r) => to.publish(topic, r)));
  const collect = env.MICRO_LOG_COLLECT;
  if (collect !== undefined && collect !== '' && collect !== 'off') {
    if (collect !== 'on')
      throw new TypeError(`MICRO_LOG_COLLECT must be on or off, not ${JSON.stringify(collect)}`);
    out.push(createShipper('the control plane', who, to.collect));
  }
  return out;
}
