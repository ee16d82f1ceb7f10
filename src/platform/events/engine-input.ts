// TEMPORARY: the checks the engines need, until ev-core's validate.ts is merged (then these delegate).
import {
  EVENTS_LIMITS,
  type EventInput,
  type ReadOptions,
  type Retention,
  type StartAt,
  type EventSubscribeOptions,
} from './events.ts';
import { badRequest } from '../../runtime/errors.ts';

const bad = (d: string) => badRequest('events', d);
const TOPIC = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const NAME = /^[A-Za-z0-9._-]{1,128}$/;

export function checkTopic(topic: unknown, field = 'topic'): string {
  if (typeof topic !== 'string' || topic.length > 255 || !TOPIC.test(topic))
    throw bad(`${field} is not a valid topic`);
  return topic;
}
export function checkGroup(group: unknown): string {
  if (typeof group !== 'string' || !NAME.test(group)) throw bad('group is not a valid group name');
  return group;
}
export interface CheckedEvent {
  json: string;
  key?: string;
  metadata: Record<string, string>;
}
export function checkEvents(events: EventInput[]): CheckedEvent[] {
  if (!Array.isArray(events) || events.length > EVENTS_LIMITS.batch)
    throw bad('events must be an array of at most 1000');
  return events.map((e) => {
    const json = JSON.stringify(e.data);
    if (json === undefined) throw bad('data is not JSON');
    return {
      json,
      ...(e.key !== undefined && { key: e.key }),
      metadata: { ...(e.metadata ?? {}) },
    };
  });
}
export function checkStart(start: unknown): StartAt {
  if (start === undefined) return 'latest';
  return start as StartAt;
}
export interface CheckedSubscribe {
  group?: string;
  start: StartAt;
  ackTimeout: number;
  maxDeliveries: number;
  deadLetter: string;
  maxInFlight: number;
}
export function checkSubscribe(topic: string, o: EventSubscribeOptions = {}): CheckedSubscribe {
  return {
    ...(o.group !== undefined && { group: checkGroup(o.group) }),
    start: checkStart(o.start),
    ackTimeout: o.ackTimeout ?? EVENTS_LIMITS.ackTimeout.default,
    maxDeliveries: o.maxDeliveries ?? EVENTS_LIMITS.maxDeliveries.default,
    deadLetter: o.deadLetter ?? `${topic}.dead`,
    maxInFlight: o.maxInFlight ?? EVENTS_LIMITS.maxInFlight.default,
  };
}
export function checkRead(o: ReadOptions = {}): ReadOptions & { limit: number } {
  return { ...o, limit: o.limit ?? 100 };
}
export function checkRetention(r: Retention = {}): Retention {
  return r;
}
export function checkDelay(d: unknown): number {
  return (d as number | undefined) ?? 0;
}
export function checkPrefix(p: unknown): string {
  return (p as string | undefined) ?? '';
}
