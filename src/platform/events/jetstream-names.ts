// How the JetStream events engine names what NATS restricts: a topic's stream (names of
// [-_A-Za-z0-9], no dots) and subject, a group's durable consumer, and the record a message holds.
import { createHash } from 'node:crypto';
import type { EventRecord } from './events.ts';

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);
const safe = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');

/** The stream of a topic: `<prefix>_<topic, dots as _>_<hash>` (unique, at most 255 characters). */
export function streamOf(prefix: string, topic: string): string {
  return `${safe(prefix)}_${safe(topic).slice(0, 200)}_${hash(topic)}`;
}

/** The one subject a topic's stream keeps: `<prefix>.<topic>` (topic names are valid subjects). */
export function subjectOf(prefix: string, topic: string): string {
  return `${prefix}.${topic}`;
}

/** The description of a topic's stream, which says its topic. */
export function streamDescription(topic: string): string {
  return `micro events ${topic}`;
}

/** The topic a stream's description names, or undefined for another stream. */
export function topicOfStream(description: string | undefined): string | undefined {
  return /^micro events ([A-Za-z0-9._-]+)$/.exec(description ?? '')?.[1];
}

/** The durable consumer of a group: `g_<group, dots as _>_<hash>`. */
export function consumerOf(group: string): string {
  return `g_${safe(group).slice(0, 100)}_${hash(group)}`;
}

/** What a group's consumer description keeps (JSON): the options of its last subscription. */
export interface GroupNote {
  group: string;
  ackTimeout?: number;
  maxDeliveries: number;
  deadLetter: string;
}

/** The group note of a consumer description, or undefined for another consumer. */
export function groupOfConsumer(description: string | undefined): GroupNote | undefined {
  try {
    const n = JSON.parse(description ?? '') as Partial<GroupNote>;
    if (typeof n.group === 'string' && typeof n.maxDeliveries === 'number')
      return {
        group: n.group,
        ...(typeof n.ackTimeout === 'number' && { ackTimeout: n.ackTimeout }),
        maxDeliveries: n.maxDeliveries,
        deadLetter: String(n.deadLetter),
      };
  } catch {
    // not one of ours
  }
  return undefined;
}

/**
 * A message's body: `{"i":id,"t":time,"k"?:key,"m":metadata,"d":data}`, with the data's JSON text
 * put in as given (not parsed and written again).
 */
export function bodyOf(
  e: { json: string; key?: string; metadata: Record<string, string> },
  id: string,
  time: number,
): string {
  const key = e.key === undefined ? '' : `,"k":${JSON.stringify(e.key)}`;
  return `{"i":"${id}","t":${time}${key},"m":${JSON.stringify(e.metadata)},"d":${e.json}}`;
}

/** The record a message of a topic holds, or undefined when it is not of bodyOf's making. */
export function recordOf(topic: string, offset: number, data: Uint8Array): EventRecord | undefined {
  try {
    const b = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString()) as {
      i: string;
      t: number;
      k?: string;
      m: Record<string, string>;
      d: unknown;
    };
    if (typeof b.i !== 'string' || typeof b.t !== 'number') return undefined;
    const r: EventRecord = { topic, offset, id: b.i, time: b.t, metadata: b.m ?? {}, data: b.d };
    if (b.k !== undefined) r.key = b.k;
    return r;
  } catch {
    return undefined;
  }
}
