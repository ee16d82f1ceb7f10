// The events area: the table of engines by name (MICRO_EVENTS and --events pick from it) and
// eventsFromEnv, what a service's `events` is made with. Light on purpose: engines and their client
// libraries load on first use, and the control plane's client only when a call is made.
import type { Client } from '../../runtime/client/client.ts';
import { pickPlugin } from '../../runtime/plugins.ts';
import { createMicroEvents } from './client.ts';
import type { Events } from './events.ts';
import { lazyEvents } from './lazy.ts';
import { createMemoryEvents } from './memory.ts';

/** What every entry of the engines table is given. */
export interface EventsFactoryOptions {
  /** The engine's address (host:port, or a URL), where it has one. */
  address?: string;
  /** A runtime client to call through, for the `micro` engine (a service's own). */
  client?: Client;
  /** The service using it (the `micro` engine's own client calls as it: `micro-from`). */
  from?: string;
}

/** Builds an Events from the table's options. */
export type EventsTableFactory = (options?: EventsFactoryOptions) => Events;

/** The engines by name: MICRO_EVENTS and --events pick from it. */
export const eventEngines: Readonly<Record<string, EventsTableFactory>> = {
  /** The control plane's `events` service (SQLite, or the engine it serves); the default. */
  micro: (o = {}) => createMicroEvents(o),
  /** In this process only: tests and single-process programs. */
  memory: () => createMemoryEvents(),
  /** NATS JetStream (127.0.0.1:4222 by default): a stream per topic, a durable consumer per group. */
  jetstream: (o = {}) =>
    lazyEvents('jetstream', o.address ?? '127.0.0.1:4222', async () =>
      (await import('./jetstream.ts')).createJetStreamEvents({ address: o.address }),
    ),
  /** One Redis server (127.0.0.1:6379 by default): a stream per topic, publishes as Lua scripts. */
  redis: (o = {}) =>
    lazyEvents('redis', o.address ?? '127.0.0.1:6379', async () =>
      (await import('./redis.ts')).createRedisEvents({ address: o.address }),
    ),
};

/**
 * The engine named by MICRO_EVENTS (default `micro`, the control plane's), at
 * MICRO_EVENTS_ADDRESS. The `micro` engine calls through `client` unless MICRO_EVENTS_ADDRESS names
 * a control plane of its own. An unknown name is a TypeError listing the valid ones.
 */
export function eventsFromEnv(
  env: NodeJS.ProcessEnv,
  defaults: { client?: Client; from?: string } = {},
): Events {
  const name = env.MICRO_EVENTS || 'micro';
  const make = pickPlugin(eventEngines, 'events engine', name, 'MICRO_EVENTS');
  const address = env.MICRO_EVENTS_ADDRESS || undefined;
  return make({
    ...(address && { address }),
    ...(defaults.from && { from: defaults.from }),
    ...(defaults.client && !address && { client: defaults.client }),
  });
}

export { createMemoryEvents, createMicroEvents };
export { EVENTS_LIMITS, PLATFORM_TOPIC_PREFIX } from './events.ts';
export type * from './events.ts';
export type { MemoryEventsOptions } from './memory.ts';
export type { MicroEventsOptions } from './client.ts';
export type { JetStreamEventsOptions } from './jetstream.ts';
export type { RedisEventsOptions } from './redis.ts';
export { lazyEvents };
