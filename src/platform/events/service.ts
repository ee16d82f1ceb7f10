// The control plane's `events` service: any Events served over RPC as the `Events` handler
// (Publish, PublishMany, Subscribe, Ack, Nack, Read, Topics, Groups, Seek, DeleteGroup, Configure;
// shapes in the platform contract). Requests are closed (an unknown field is a 400 naming it) and
// their values checked by the engine, so `micro call events Events.Publish '{"topic":"a","data":1}'`
// gets the answers an Events gives in-process. Every publish carries `micro-from`, the calling
// service's name, set here (a caller cannot forge it); topics under `micro.` are the platform's own
// and a 403 over RPC (the control plane publishes to them in-process, through the `publish` hostEvents returns).
// Subscribe is a server stream: {ready, member} once live, then batches of deliveries, never more
// than the member's maxInFlight unacknowledged; acknowledgements come as Ack calls by offset. When
// a subscriber goes away its stream ends, and what it had not acknowledged is delivered again
// after its ackTimeout. hostEvents serves SQLite in micro.db, or the engine MICRO_EVENTS names.
// With auth on, publishing (and a topic's retention) needs `topic:<topic>:publish`, and every read
// (subscribing, reading, acknowledging, groups) `topic:<topic>:subscribe`.
import { randomUUID } from 'node:crypto';
import { forbidden } from '../../runtime/errors.ts';
import type { Context } from '../../runtime/context.ts';
import { closed, closedShape, passedAsIs } from '../../runtime/server/closed.ts';
import { endpoint, serverStream } from '../../runtime/server/declare.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import { accessCheck, type Check } from '../access.ts';
import { servedEngine } from '../served.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import {
  EVENTS_LIMITS,
  PLATFORM_TOPIC_PREFIX,
  type Delivery,
  type EventInput,
  type Events,
  type StartAt,
} from './events.ts';
import { batches, Outstanding, wireDelivery } from './delivering.ts';
import type { OffsetAcks } from './engine.ts';
import { EVENTS_ID } from './errors.ts';
import { checkDelay, checkName, checkOffsets, checkTopic } from './validate.ts';

type Req = Record<string, unknown>;

const topic = { type: 'string', description: 'up to 255 of [A-Za-z0-9._-]' };
const group = { type: 'string', description: 'a consumer group: up to 128 of [A-Za-z0-9._-]' };
const data = { description: 'any JSON, up to 1 MiB' };
const key = { type: 'string', description: 'idempotency key: stored once per topic' };
const metadata = { type: 'object', additionalProperties: { type: 'string' } };
const start = {
  description: 'latest, earliest, {offset} or {time} (ms since the epoch)',
  oneOf: [{ enum: ['latest', 'earliest'] }, { type: 'object' }],
};
const offsets = {
  type: 'array',
  items: { type: 'integer', minimum: 1 },
  maxItems: EVENTS_LIMITS.batch,
};
const whole = (description: string) => ({ type: 'integer', description });

/** The request as is, once closed() found only its fields (the engine checks the values). */
const asIs = passedAsIs(EVENTS_ID, 'Events');

/** An Ack or Nack request, its values checked here (the engine never sees it whole). */
const settling = (name: string, properties: Record<string, object>) =>
  closed(
    EVENTS_ID,
    `Events.${name}`,
    closedShape(properties, ['topic', 'group', 'offsets']),
    (req: Req) => ({
      topic: checkTopic(req.topic),
      group: checkName(req.group, 'group'),
      offsets: checkOffsets(req.offsets),
      delay: checkDelay(req.delay),
    }),
  );

/** A 403 for a topic under `micro.` named by an RPC caller in `field`. */
function refusePlatform(value: unknown, field: string): void {
  if (typeof value === 'string' && value.startsWith(PLATFORM_TOPIC_PREFIX))
    throw forbidden(
      EVENTS_ID,
      `${field} ${JSON.stringify(value.slice(0, 64))}: topics under ${PLATFORM_TOPIC_PREFIX} are the platform's own; only the control plane publishes to them`,
    );
}

/** An event's metadata with `micro-from` set from the call (a caller's own is dropped). */
function stamped(given: unknown, ctx: Context): unknown {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given)))
    return given;
  const { 'micro-from': _forged, ...rest } = (given ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = ctx.from ? { ...rest, 'micro-from': ctx.from } : rest;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** One event as its input, with the call's `micro-from`. */
function inputOf(e: Req, ctx: Context): EventInput {
  const m = stamped(e.metadata, ctx);
  return { ...e, data: e.data, ...(m !== undefined && { metadata: m as Record<string, string> }) };
}

type Settle = { topic: string; group: string; offsets: number[] };

/** The Events handler: any Events, served to other processes as the `events` service. */
export function eventsHandler(events: Events, check: Check = accessCheck(undefined)): Handler {
  /** The request, once its caller may publish to (or subscribe to) the topic it names (`*`: none). */
  const may = <T extends Req | Settle>(
    action: 'publish' | 'subscribe',
    req: T,
    ctx: Context,
  ): T => {
    check(ctx, 'topic', typeof req.topic === 'string' ? req.topic : '*', action);
    return req;
  };
  const outstanding = new Outstanding();
  // An engine that settles by offset (SQLite, memory) gets one call for the offsets found.
  const byOffset = 'ackOffsets' in events ? (events as Events & OffsetAcks) : undefined;
  const settle = async (
    req: Settle,
    fn: (d: Delivery) => Promise<void>,
    many: ((offsets: number[]) => Promise<void>) | undefined,
    remember = false,
  ) => {
    const found = outstanding.take(req.topic, req.group, req.offsets, remember);
    if (many && found.length > 1) await many(found.map((d) => d.offset));
    else await Promise.all(found.map(fn));
    return {};
  };
  const subscribeFields = {
    topic,
    group,
    start,
    ackTimeout: whole('ms before an unacknowledged delivery is delivered again'),
    maxDeliveries: whole('deliveries before the dead-letter topic'),
    deadLetter: { ...topic, description: 'the dead-letter topic (default <topic>.dead)' },
    maxInFlight: whole('unacknowledged deliveries this member holds at most'),
  };
  return {
    Publish: endpoint(
      { request: asIs('Publish', { topic, data, key, metadata }, ['topic', 'data']) },
      async (req, ctx) => {
        refusePlatform(req.topic, 'topic');
        const {
          topic: t,
          data: d,
          ...options
        } = inputOf(may('publish', req, ctx), ctx) as EventInput & Req;
        return events.publish(t as string, d, options);
      },
    ),
    PublishMany: endpoint(
      {
        request: asIs(
          'PublishMany',
          {
            topic,
            events: {
              type: 'array',
              maxItems: EVENTS_LIMITS.batch,
              items: closedShape({ data, key, metadata }, ['data']),
            },
          },
          ['topic', 'events'],
        ),
      },
      async (req, ctx) => {
        refusePlatform(req.topic, 'topic');
        may('publish', req, ctx);
        const list = Array.isArray(req.events)
          ? (req.events as unknown[]).map((e) =>
              typeof e === 'object' && e !== null ? inputOf(e as Req, ctx) : (e as EventInput),
            )
          : (req.events as EventInput[]);
        return { published: await events.publishMany(req.topic as string, list) };
      },
    ),
    Subscribe: serverStream(
      { request: asIs('Subscribe', subscribeFields, ['topic']) },
      async function* (req, ctx) {
        refusePlatform(req.deadLetter, 'deadLetter');
        const { topic: t, ...options } = may('subscribe', req, ctx);
        const sub = await events.subscribe(t as string, options);
        const stop = (): void => void sub.stop();
        ctx.signal.addEventListener('abort', stop);
        const held = new Map<number, Delivery>();
        const max = Math.min(
          Number(options.maxInFlight ?? EVENTS_LIMITS.maxInFlight.default),
          EVENTS_LIMITS.batch,
        );
        try {
          yield { ready: true, member: `${ctx.from || 'member'}-${randomUUID().slice(0, 8)}` };
          for await (const batch of batches(sub, max)) {
            const group = sub.group;
            const send =
              group === undefined ? batch : batch.filter((d) => outstanding.add(group, d, held));
            if (send.length > 0) yield { deliveries: send.map(wireDelivery) };
          }
        } finally {
          ctx.signal.removeEventListener('abort', stop);
          await sub.stop();
          const ackTimeout = Number(options.ackTimeout ?? EVENTS_LIMITS.ackTimeout.default);
          if (sub.group !== undefined) outstanding.release(sub.topic, sub.group, held, ackTimeout);
        }
      },
    ),
    Ack: endpoint({ request: settling('Ack', { topic, group, offsets }) }, (req, ctx) =>
      settle(
        may('subscribe', req, ctx),
        (d) => d.ack(),
        byOffset && ((offsets) => byOffset.ackOffsets(req.topic, req.group, offsets)),
        true,
      ),
    ),
    Nack: endpoint(
      {
        request: settling('Nack', { topic, group, offsets, delay: whole('ms before redelivery') }),
      },
      (req, ctx) =>
        settle(
          may('subscribe', req, ctx),
          (d) => d.nack(req.delay),
          byOffset && ((offsets) => byOffset.nackOffsets(req.topic, req.group, offsets, req.delay)),
        ),
    ),
    Read: endpoint(
      {
        request: asIs(
          'Read',
          {
            topic,
            from: whole('first offset'),
            to: whole('last offset'),
            since: whole('ms since the epoch'),
            until: whole('ms since the epoch'),
            limit: whole('events per page, 1 to 1000'),
          },
          ['topic'],
        ),
      },
      async (req, ctx) => {
        const { topic: t, ...options } = may('subscribe', req, ctx);
        return events.read(t as string, options);
      },
    ),
    Topics: endpoint(
      { request: asIs('Topics', { prefix: { type: 'string' } }) },
      async (req, ctx) => {
        const prefix = typeof req.prefix === 'string' ? req.prefix : '';
        check(ctx, 'topic', `${prefix}*`, 'subscribe');
        return { topics: await events.topics(req.prefix as string | undefined) };
      },
    ),
    Groups: endpoint({ request: asIs('Groups', { topic }) }, async (req, ctx) => ({
      groups: await events.groups(may('subscribe', req, ctx).topic as string | undefined),
    })),
    Seek: endpoint(
      { request: asIs('Seek', { topic, group, start }, ['topic', 'group', 'start']) },
      (req, ctx) =>
        events.seek(
          may('subscribe', req, ctx).topic as string,
          req.group as string,
          req.start as StartAt,
        ),
    ),
    DeleteGroup: endpoint(
      { request: asIs('DeleteGroup', { topic, group }, ['topic', 'group']) },
      async (req, ctx) => ({
        deleted: await events.deleteGroup(
          may('subscribe', req, ctx).topic as string,
          req.group as string,
        ),
      }),
    ),
    Configure: endpoint(
      {
        request: asIs(
          'Configure',
          { topic, maxAge: whole('ms an event is kept'), maxCount: whole('events kept') },
          ['topic'],
        ),
      },
      (req, ctx) => {
        const { topic: t, ...retention } = may('publish', req, ctx);
        return events.configure(t as string, retention);
      },
    ),
  };
}

/** Hosts the events service: SQLite in micro.db, or the engine MICRO_EVENTS names (not `micro`). */
export async function hostEvents(context: HostContext): Promise<Hosted> {
  const events: Events = await servedEngine(context, {
    name: 'events',
    variable: 'MICRO_EVENTS',
    sqlite: async () =>
      (await import('./sqlite.ts')).createSqliteEvents({
        path: context.dbPath,
        nativeBinding: context.nativeBinding,
      }),
    table: async () => (await import('./index.ts')).eventEngines,
  });
  return {
    handlers: { Events: eventsHandler(events, accessCheck(context.authorize)) },
    // In-process, so the control plane may publish its platform events to `micro.*`.
    publish: (t, d) => events.publish(t, d, { metadata: { 'micro-from': 'micro' } }),
    close: () => events.close(),
  };
}
