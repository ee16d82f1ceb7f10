// One subscription's reading of its consumer group: new entries, redelivery, acknowledgement.
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerHandler } from '../broker.ts';
import { entries, headerOf, replyIs, type Entry } from './replies.ts';

/** How a group reader paces itself; see RedisBrokerOptions. */
export interface ReaderTiming {
  redeliverAfter: number;
  blockMs: number;
  maxInFlight: number;
  /** Milliseconds between looks for messages left pending too long. */
  claimEvery: number;
}

/** What a reader reads and where it reports. */
export interface ReaderOptions extends ReaderTiming {
  /** The command connection (acknowledgements, claims, reports); the reader opens its own for reads. */
  c: Redis;
  topic: string;
  /** The topic's stream. */
  key: string;
  group: string;
  consumer: string;
  autoAck: boolean;
  handler: BrokerHandler;
  /** Makes the group again (from now on) when the stream was deleted under it. */
  ensureGroup(): Promise<unknown>;
}

/** A running reader. */
export interface GroupReader {
  /** Stops reading; resolves once the read loop has ended. */
  stop(): Promise<void>;
}

const noop = (): void => undefined;

/**
 * Reads the group's new entries (XREADGROUP) and, every claimEvery ms, takes over those pending
 * longer than redeliverAfter (XAUTOCLAIM); runs the handler on each, at most maxInFlight at a time,
 * acknowledges it when the handler resolves (autoAck), and reports a first delivery to the
 * publisher's reply channel.
 */
export function startGroupReader(o: ReaderOptions): GroupReader {
  const { c, key, group, consumer } = o;
  const reader = c.duplicate(); // XREADGROUP BLOCK holds its connection
  reader.on('error', noop);
  const halt = new AbortController();
  const halted = new Promise((r) => halt.signal.addEventListener('abort', r));
  const inflight = new Map<string, Promise<void>>();
  let stopped = false;

  const dispatch = (e: Entry, first: boolean): void => {
    if (inflight.has(e.id)) return; // still handling it: the claim just renewed it
    const ack = async (): Promise<void> => void (await c.call('XACK', key, group, e.id));
    const reply = e.fields.get('reply')?.toString() ?? '';
    const sp = reply.lastIndexOf(' ');
    const run = Promise.resolve()
      .then(() =>
        o.handler({
          topic: o.topic,
          message: {
            header: headerOf(e.fields.get('header')),
            body: e.fields.get('body') ?? Buffer.alloc(0),
          },
          ack,
        }),
      )
      // A failed handler leaves the message pending, for redelivery after redeliverAfter.
      .then(() => (o.autoAck ? ack() : undefined), noop)
      .catch(noop)
      .then(async () => {
        if (first && sp > 0)
          await c.call('PUBLISH', reply.slice(0, sp), `${reply.slice(sp + 1)} ${group}`);
      })
      .catch(noop)
      .finally(() => inflight.delete(e.id));
    inflight.set(e.id, run);
  };

  /** Takes over and handles what the group left pending longer than redeliverAfter. */
  const claim = async (): Promise<void> => {
    let cursor = '0-0';
    do {
      const room = o.maxInFlight - inflight.size;
      if (room <= 0 || stopped) return;
      const raw = await c.callBuffer(
        ...['XAUTOCLAIM', key, group, consumer, String(o.redeliverAfter), cursor],
        ...['COUNT', String(room)],
      );
      if (!Array.isArray(raw)) return;
      cursor = String(raw[0]);
      for (const e of entries(raw[1])) dispatch(e, false);
    } while (cursor !== '0-0');
  };

  const loop = (async () => {
    await reader.connect().catch(noop); // a failure shows in the first read
    let nextClaim = Date.now() + o.claimEvery;
    while (!stopped) {
      try {
        if (inflight.size >= o.maxInFlight) {
          await Promise.race([halted, ...inflight.values()]);
        } else if (Date.now() >= nextClaim) {
          await claim();
          nextClaim = Date.now() + o.claimEvery;
        } else {
          const raw = await reader.callBuffer(
            ...['XREADGROUP', 'GROUP', group, consumer],
            ...['COUNT', String(o.maxInFlight - inflight.size)],
            ...['BLOCK', String(Math.max(1, Math.min(o.blockMs, nextClaim - Date.now())))],
            ...['STREAMS', key, '>'],
          );
          const streams = Array.isArray(raw) ? (raw as unknown[][]) : [];
          for (const e of entries(streams[0]?.[1])) dispatch(e, true);
        }
      } catch (err) {
        if (stopped) break;
        // The group went away (the stream was deleted): make it again, from now on.
        if (replyIs(err, 'NOGROUP')) await o.ensureGroup().catch(noop);
        // Redis is away: ioredis reconnects meanwhile.
        else await sleep(Math.min(o.blockMs, 1000), undefined, { signal: halt.signal }).catch(noop);
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      halt.abort();
      reader.disconnect(); // ends a blocking read at once
      await loop;
    },
  };
}
