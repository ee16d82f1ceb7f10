// What an app answers on GET /dapr/subscribe (Dapr's programmatic subscriptions), read strictly:
// [{pubsubname, topic, route | routes: {rules: [{match, path}], default}, deadLetterTopic?,
// metadata?}]. A subscription the sidecar cannot honour (an unknown pubsub, a bad topic, a match it
// does not understand, bulkSubscribe) is left out with a reason the sidecar logs, the others kept.
//
// Subscription metadata the sidecar reads (values as strings; the SDK sends them JSON-encoded, so
// `"3"` and `3` both work): rawPayload ("true": data sent as data_base64), initialOffset (newest,
// the default, or oldest: where the app's group starts the first time), maxDeliveries (1 to 100),
// ackTimeout (ms an app has to answer before the event goes out again) and maxInFlight.
import type { EventSubscribeOptions } from '../../../platform/events/events.ts';
import { EVENTS_LIMITS } from '../../../platform/events/events.ts';
import { isObject } from './input.ts';
import { pubsubTopic } from './pubsub.ts';
import { compileMatch, type Match } from './routing.ts';

/** One subscription the sidecar delivers. */
export interface Subscription {
  pubsubname: string;
  topic: string;
  /** Rules in order, then the default (absent: events no rule matches are dropped, as Dapr does). */
  rules: { match: Match; text: string; path: string }[];
  default?: string;
  deadLetterTopic?: string;
  /** The metadata as given. */
  metadata: Record<string, string>;
  /** rawPayload: data sent as data_base64. */
  raw: boolean;
  /** The events subscription's options (the group is the app's id). */
  options: EventSubscribeOptions;
}

/** The read list: what is delivered, and what was left out and why. */
export interface SubscriptionList {
  subscriptions: Subscription[];
  skipped: string[];
}

/** Subscriptions one app may have. */
export const MAX_SUBSCRIPTIONS = 100;

const path = (v: unknown, at: string): string => {
  if (typeof v !== 'string' || v.length > 1024 || !/^\/?[\x21-\x7e]*$/.test(v))
    throw new TypeError(`${at} must be a URL path of at most 1,024 printable characters`);
  return v.startsWith('/') ? v : `/${v}`;
};

const unquote = (v: string): string => (/^".*"$/.test(v) ? v.slice(1, -1) : v);

function bounded(
  v: string | undefined,
  name: string,
  lim: { min: number; max: number },
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(unquote(v));
  if (!Number.isInteger(n) || n < lim.min || n > lim.max)
    throw new TypeError(`metadata ${name} must be a whole number from ${lim.min} to ${lim.max}`);
  return n;
}

function one(v: unknown, pubsubs: readonly string[], group: string): Subscription {
  if (!isObject(v)) throw new TypeError('a subscription must be an object');
  const pubsubname = typeof v.pubsubname === 'string' ? v.pubsubname : '';
  const topic = typeof v.topic === 'string' ? v.topic : '';
  try {
    pubsubTopic(pubsubs, pubsubname, topic);
  } catch (err) {
    throw new TypeError((err as Error).message, { cause: err });
  }
  const metadata: Record<string, string> = {};
  if (v.metadata !== undefined && v.metadata !== null) {
    if (!isObject(v.metadata)) throw new TypeError('metadata must be an object of strings');
    for (const [k, x] of Object.entries(v.metadata))
      if (typeof x === 'string') metadata[k] = x;
      else throw new TypeError(`metadata ${k.slice(0, 100)} must be a string`);
  }
  if (isObject(v.bulkSubscribe) && v.bulkSubscribe.enabled === true)
    throw new TypeError('bulkSubscribe is not supported by micro sidecar');
  const rules: Subscription['rules'] = [];
  let fallback: string | undefined;
  if (v.routes !== undefined && v.routes !== null) {
    if (!isObject(v.routes)) throw new TypeError('routes must be {rules, default}');
    const list = v.routes.rules ?? [];
    if (!Array.isArray(list) || list.length > 100)
      throw new TypeError('routes.rules must be an array of at most 100');
    for (const [i, r] of list.entries()) {
      if (!isObject(r) || typeof r.match !== 'string')
        throw new TypeError(`routes.rules[${i}] must be {match, path}`);
      rules.push({
        match: compileMatch(r.match),
        text: r.match,
        path: path(r.path, `routes.rules[${i}].path`),
      });
    }
    if (v.routes.default !== undefined && v.routes.default !== '')
      fallback = path(v.routes.default, 'routes.default');
  }
  if (typeof v.route === 'string' && v.route !== '') fallback ??= path(v.route, 'route');
  if (!fallback && rules.length === 0)
    throw new TypeError('a subscription needs a route or routes');
  let deadLetterTopic: string | undefined;
  if (v.deadLetterTopic !== undefined && v.deadLetterTopic !== null && v.deadLetterTopic !== '') {
    if (typeof v.deadLetterTopic !== 'string')
      throw new TypeError('deadLetterTopic must be a string');
    deadLetterTopic = pubsubTopic(pubsubs, pubsubname, v.deadLetterTopic).topic;
  }
  const offset = metadata.initialOffset && unquote(metadata.initialOffset);
  if (offset && offset !== 'newest' && offset !== 'oldest')
    throw new TypeError('metadata initialOffset must be newest or oldest');
  const options: EventSubscribeOptions = {
    group,
    start: offset === 'oldest' ? 'earliest' : 'latest',
    ...(deadLetterTopic && { deadLetter: deadLetterTopic }),
  };
  const maxDeliveries = bounded(
    metadata.maxDeliveries,
    'maxDeliveries',
    EVENTS_LIMITS.maxDeliveries,
  );
  const ackTimeout = bounded(metadata.ackTimeout, 'ackTimeout', EVENTS_LIMITS.ackTimeout);
  const maxInFlight = bounded(metadata.maxInFlight, 'maxInFlight', EVENTS_LIMITS.maxInFlight);
  if (maxDeliveries !== undefined) options.maxDeliveries = maxDeliveries;
  if (ackTimeout !== undefined) options.ackTimeout = ackTimeout;
  if (maxInFlight !== undefined) options.maxInFlight = maxInFlight;
  return {
    pubsubname,
    topic,
    rules,
    ...(fallback && { default: fallback }),
    ...(deadLetterTopic && { deadLetterTopic }),
    metadata,
    raw: unquote(metadata.rawPayload ?? '') === 'true',
    options,
  };
}

/** Reads the app's answer; `group` is the consumer group (the app's id). */
export function readSubscriptions(
  body: unknown,
  pubsubs: readonly string[],
  group: string,
): SubscriptionList {
  const out: SubscriptionList = { subscriptions: [], skipped: [] };
  if (!Array.isArray(body)) {
    out.skipped.push('GET /dapr/subscribe must answer a JSON array');
    return out;
  }
  const seen = new Set<string>();
  for (const [i, v] of body.entries()) {
    if (out.subscriptions.length >= MAX_SUBSCRIPTIONS) {
      out.skipped.push(`subscriptions past the first ${MAX_SUBSCRIPTIONS}`);
      break;
    }
    try {
      const s = one(v, pubsubs, group);
      // One group per app and topic: a second subscription to a topic would share its events.
      if (seen.has(s.topic)) throw new TypeError(`topic ${s.topic} is subscribed twice`);
      seen.add(s.topic);
      out.subscriptions.push(s);
    } catch (err) {
      out.skipped.push(`subscription ${i}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** The route of an event: the first matching rule's path, else the default. */
export function routeOf(s: Subscription, event: Record<string, unknown>): string | undefined {
  for (const r of s.rules) if (r.match(event)) return r.path;
  return s.default;
}

/** A subscription as GET /v1.0/metadata lists it. */
export function describeSubscription(s: Subscription): Record<string, unknown> {
  return {
    pubsubname: s.pubsubname,
    topic: s.topic,
    metadata: s.metadata,
    rules: [
      ...s.rules.map((r) => ({ match: r.text, path: r.path })),
      ...(s.default ? [{ match: '', path: s.default }] : []),
    ],
    deadLetterTopic: s.deadLetterTopic ?? '',
    type: 'PROGRAMMATIC',
  };
}
