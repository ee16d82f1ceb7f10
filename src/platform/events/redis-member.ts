// The Redis events engine's readers: a group member (XREADGROUP for new events, the CLAIM script
// for redeliveries and dead letters, acknowledgements batched per tick) and an ephemeral reader
// (XREAD from an offset). Each holds a connection of its own for its blocking reads.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { EventRecord, EventSubscription } from './events.ts';
import { checkDelay } from './validate.ts';
import { feed, within, type Reach } from './reach.ts';

/** The engine's scripts, as ioredis defines them (see redis-scripts.ts). */
export interface Scripted {
  evPublish(...args: string[]): Promise<(number | string)[]>;
  evStart(...args: string[]): Promise<number>;
  evJoin(...args: string[]): Promise<number>;
  evClaim(...args: string[]): Promise<[string, number, string[]][]>;
  evNack(...args: string[]): Promise<number>;
  evRead(...args: string[]): Promise<RawEntry[]>;
  evTopics(...args: string[]): Promise<(string | number)[][]>;
  evConfigure(...args: string[]): Promise<(string | number)[]>;
  evGroups(...args: string[]): Promise<(string | number)[][]>;
  evSeek(...args: string[]): Promise<number>;
  evDrop(...args: string[]): Promise<number>;
}

/** A stream entry as Redis replies it: id and flat fields. */
export type RawEntry = [string, string[]];

/** What the readers use of the engine. */
export interface RedisLink {
  c: Redis & Scripted;
  reach: Reach;
  /** The members of this process by `<topic> <group>`: each poke makes one look again at once. */
  pokes: Map<string, Set<() => void>>;
  /** Prefix of every key, with its colon. */
  root: string;
}

/** The record an entry of ours holds, or undefined. */
export function recordOfEntry(topic: string, [id, f]: RawEntry): EventRecord | undefined {
  const get = (name: string) => {
    for (let j = 0; j + 1 < f.length; j += 2) if (f[j] === name) return f[j + 1];
    return undefined;
  };
  const [i, t, m, d, k] = [get('i'), get('t'), get('m'), get('d'), get('k')];
  if (i === undefined || t === undefined || d === undefined) return undefined;
  try {
    const r: EventRecord = {
      topic,
      offset: Number.parseInt(id, 10),
      id: i,
      time: Number(t),
      metadata: JSON.parse(m ?? '{}') as Record<string, string>,
      data: JSON.parse(d),
    };
    if (k !== undefined) r.key = k;
    return r;
  } catch {
    return undefined;
  }
}

const noop = (): void => undefined;
const none = async (): Promise<void> => undefined;

/** A group member's settings, checked. */
export interface RedisMemberOptions {
  group: string;
  member: string;
  ackTimeout: number;
  maxInFlight: number;
  /** The ackTimeout the group's claims go by (see JOIN in redis-scripts.ts). */
  ackWait: number;
}

/** Reads a group for one member; see the module comment. */
export function startRedisMember(
  link: RedisLink,
  topic: string,
  s: RedisMemberOptions,
  onStop: () => void,
): EventSubscription {
  const { c, root, reach } = link;
  const key = `${root}s:${topic}`;
  const every = Math.min(1000, Math.max(50, Math.floor(Math.min(s.ackTimeout, s.ackWait) / 2)));
  const reader = c.duplicate(); // XREADGROUP BLOCK holds its connection
  reader.on('error', noop);
  const halt = new AbortController();
  // What this member holds (entry id -> when delivered): past ackTimeout it leaves the room;
  // before, when claims go by a shorter one, it is claimed again by this member (idle reset).
  const held = new Map<string, number>();
  let touched = Date.now();
  let [stopped, nextClaim] = [false, 0];
  let wake: (() => void) | undefined;
  const nudge = () => {
    wake?.();
    wake = undefined;
  };

  // Acknowledgements of one tick go out as one XACK.
  let acks: { ids: string[]; done: Promise<unknown> } | undefined;
  const ack = (id: string): Promise<unknown> => {
    if (!acks) {
      const batch = { ids: [] as string[], done: Promise.resolve() as Promise<unknown> };
      batch.done = new Promise((r) => setImmediate(r)).then(() => {
        acks = undefined;
        return within(reach, () => c.xack(key, s.group, ...batch.ids));
      });
      acks = batch;
    }
    acks.ids.push(id);
    return acks.done;
  };

  const release = (id: string, at: number): boolean => {
    if (held.get(id) !== at) return false;
    held.delete(id);
    nudge();
    return true;
  };
  const sweep = () => {
    const now = Date.now();
    for (const [id, at] of held) if (now - at >= s.ackTimeout) release(id, at);
    if (s.ackTimeout <= s.ackWait || held.size === 0 || now - touched < s.ackWait / 2) return;
    touched = now;
    void c.xclaim(key, s.group, s.member, 0, ...held.keys(), 'JUSTID').catch(noop);
  };
  const deliver = (raw: RawEntry, attempt: number) => {
    const r = recordOfEntry(topic, raw);
    if (!r) return void ack(raw[0]).catch(noop); // not an event of ours
    const at = Date.now();
    held.set(raw[0], at);
    let acked = false;
    channel.push({
      ...r,
      attempt,
      ack: async () => {
        if (acked) return;
        acked = true;
        release(raw[0], at);
        await ack(raw[0]);
      },
      nack: async (delay) => {
        const wait = checkDelay(delay);
        if (acked || !release(raw[0], at)) return;
        await within(reach, () =>
          c.evNack(root, topic, s.group, s.member, String(wait), raw[0], randomUUID()),
        );
        nextClaim = Math.min(nextClaim, Date.now() + wait);
        if (wait === 0) poke();
        else nudge();
      },
    });
  };

  // A look for redeliveries now: ends the blocking read (CLIENT UNBLOCK) if one is under way.
  let readerId = '';
  let reading = false;
  const poke = () => {
    nextClaim = 0;
    nudge();
    if (reading && readerId) void c.client('UNBLOCK', readerId).catch(noop);
  };
  const here = `${topic} ${s.group}`;
  const pokes = link.pokes.get(here) ?? new Set();
  link.pokes.set(here, pokes.add(poke));

  let loop: Promise<void> = Promise.resolve();
  const { channel, subscription } = feed(topic, s.group, async () => {
    pokes.delete(poke);
    if (pokes.size === 0 && link.pokes.get(here) === pokes) link.pokes.delete(here);
    stopped = true;
    halt.abort();
    nudge();
    reader.disconnect(); // ends a blocking read at once
    await loop;
    await c.zrem(`${root}p:${topic}:${s.group}`, s.member).catch(noop);
    onStop();
  });

  loop = (async () => {
    await reader.connect().catch(noop); // a failure shows in the first read
    readerId = String(await reader.client('ID').catch(() => ''));
    while (!stopped) {
      try {
        sweep();
        const room = s.maxInFlight - held.size;
        if (Date.now() >= nextClaim) {
          // Also what keeps this member counted as present.
          const ids = Array.from({ length: 16 }, () => randomUUID());
          const claimed = await c.evClaim(root, topic, s.group, s.member, String(room), ...ids);
          nextClaim = Date.now() + every;
          for (const [id, attempt, fields] of claimed) deliver([id, fields], Number(attempt));
        } else if (room <= 0) {
          await Promise.race([
            new Promise<void>((r) => (wake = r)),
            sleep(Math.max(1, nextClaim - Date.now()), undefined, { signal: halt.signal }),
          ]).catch(noop);
        } else {
          reading = true;
          const raw = (await reader
            .call(
              ...['XREADGROUP', 'GROUP', s.group, s.member, 'COUNT', String(room)],
              ...['BLOCK', String(Math.max(1, nextClaim - Date.now())), 'STREAMS', key, '>'],
            )
            .finally(() => (reading = false))) as [string, RawEntry[]][] | null;
          for (const e of raw?.[0]?.[1] ?? []) deliver(e, 1);
        }
      } catch {
        if (stopped) break;
        // Redis is away (ioredis reconnects meanwhile) or the group is gone: look again.
        await sleep(250, undefined, { signal: halt.signal }).catch(noop);
      }
    }
  })();
  return subscription;
}

/** An ephemeral subscription after offset `after`: every event, nothing to acknowledge. */
export function startRedisReader(link: RedisLink, topic: string, after: number): EventSubscription {
  const key = `${link.root}s:${topic}`;
  const reader = link.c.duplicate();
  reader.on('error', noop);
  const halt = new AbortController();
  let stopped = false;
  let loop: Promise<void> = Promise.resolve();
  const { channel, subscription } = feed(topic, undefined, async () => {
    stopped = true;
    halt.abort();
    reader.disconnect();
    await loop;
  });
  loop = (async () => {
    await reader.connect().catch(noop);
    let last = `${after}-0`;
    while (!stopped) {
      try {
        // A reader that falls behind is not read for: Redis keeps the events meanwhile.
        if (channel.backlog >= 1000) {
          await sleep(20, undefined, { signal: halt.signal }).catch(noop);
          continue;
        }
        const raw = (await reader.call(
          ...['XREAD', 'COUNT', '256', 'BLOCK', '1000', 'STREAMS', key, last],
        )) as [string, RawEntry[]][] | null;
        for (const e of raw?.[0]?.[1] ?? []) {
          last = e[0];
          const r = recordOfEntry(topic, e);
          if (r) channel.push({ ...r, attempt: 1, ack: none, nack: none });
        }
      } catch {
        if (stopped) break;
        await sleep(250, undefined, { signal: halt.signal }).catch(noop);
      }
    }
  })();
  return subscription;
}
