// Dapr's publish API on micro's durable events: POST /v1.0/publish/{pubsub}/{topic} stores one
// event (a 204 once it is durable), POST /v1.0-alpha1/publish/bulk/{pubsub}/{topic} several, all or
// none. Every configured pubsub name publishes to the same micro topics (micro has one events
// area); other names are a 404 ERR_PUBSUB_NOT_FOUND. The body is read as bytes whatever its
// content type and wrapped in a CloudEvent (cloudevent.ts). Without Events the sidecar publishes to
// micro's broker instead, at most once, as before it had them.
//
// Limits: the sidecar's body limit; topics as micro names them (1 to 255 of [A-Za-z0-9._-]); the
// platform's own `micro.*` topics are a 403; the events' bounds (1 MiB of data, 64 metadata
// entries) are a 400 naming the field, and nothing is stored.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Events } from '../../../platform/events/events.ts';
import { PLATFORM_TOPIC_PREFIX } from '../../../platform/events/events.ts';
import { forbidden, notFound } from '../../../runtime/errors.ts';
import { parseBoundedJson } from '../../nesting.ts';
import { SIDECAR_ID } from '../guard.ts';
import { fromPublish, type StoredEvent } from './cloudevent.ts';
import { DaprError, asDapr, daprError, malformed } from './errors.ts';
import { DAPR_LIMITS, isObject, only, queryMetadata, strings } from './input.ts';

/** What the publish routes need. */
export interface PubsubOptions {
  /** Where events are stored; absent: micro's broker. */
  events?: Events;
  /** The pubsub names accepted. */
  pubsubs: readonly string[];
  /** The app id: the CloudEvent source. */
  appId: string;
  /** Deepest JSON nesting. */
  jsonDepth: number;
  /** Publishes to micro's broker (the fallback without Events). */
  broker(topic: string, body: unknown): Promise<unknown>;
}

const TOPIC = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** Checks the path's pubsub and topic names, with Dapr's codes. */
export function pubsubTopic(
  pubsubs: readonly string[],
  pubsub: string,
  topic: string,
): { pubsub: string; topic: string } {
  if (pubsub === '')
    throw new DaprError('ERR_PUBSUB_EMPTY', notFound(SIDECAR_ID, 'the pubsub name is empty'));
  if (!pubsubs.includes(pubsub))
    throw new DaprError(
      'ERR_PUBSUB_NOT_FOUND',
      notFound(
        SIDECAR_ID,
        `pubsub ${JSON.stringify(pubsub.slice(0, 128))} is not configured; this sidecar has ${pubsubs.join(', ')} (--sidecar-pubsub)`,
      ),
    );
  if (topic === '')
    throw new DaprError('ERR_TOPIC_NAME_EMPTY', notFound(SIDECAR_ID, 'the topic name is empty'));
  if (topic.length > 255 || !TOPIC.test(topic))
    throw malformed(
      'the topic name must be 1 to 255 of A-Z a-z 0-9 . _ - with no empty part between dots',
    );
  if (topic.startsWith(PLATFORM_TOPIC_PREFIX))
    throw new DaprError(
      'ERR_PUBSUB_FORBIDDEN',
      forbidden(SIDECAR_ID, `topics under ${PLATFORM_TOPIC_PREFIX} are the platform's own`),
    );
  return { pubsub, topic };
}

/** Dapr's metadata query parameters, bounded. */
function metadataOf(req: FastifyRequest): Record<string, string> {
  const m = queryMetadata(req.query);
  if (Object.keys(m).length > DAPR_LIMITS.keys)
    throw malformed(`at most ${DAPR_LIMITS.keys} metadata parameters`);
  return m;
}

const header = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? v[0] : v;

/** One bulk entry as a publish body. */
function entryOf(
  v: unknown,
  i: number,
): { id: string; body: Buffer; type: string; metadata: Record<string, string> } {
  const at = `entries[${i}]`;
  if (!isObject(v)) throw malformed(`${at} must be an object`);
  only(v, ['entryId', 'entryID', 'event', 'contentType', 'metadata'], at);
  const id = v.entryId ?? v.entryID;
  if (typeof id !== 'string' || id === '' || id.length > 256)
    throw malformed(`${at}.entryId must be a string of 1 to 256 characters`);
  const type = v.contentType ?? 'application/json';
  if (typeof type !== 'string' || type.length > 256)
    throw malformed(`${at}.contentType must be a string`);
  if (v.event === undefined) throw malformed(`${at}.event is required`);
  const json = /json/i.test(type);
  if (!json && typeof v.event !== 'string')
    throw malformed(`${at}.event must be a string for content type ${type.slice(0, 100)}`);
  const body = Buffer.from(json ? JSON.stringify(v.event) : (v.event as string));
  return { id, body, type, metadata: strings(v.metadata, `${at}.metadata`) };
}

/** Registers the publish routes in their own scope (bodies read as bytes, any content type). */
export function registerPubsub(app: FastifyInstance, o: PubsubOptions): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    const bytes = (req: FastifyRequest): Buffer =>
      Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const store = async (topic: string, list: StoredEvent[]): Promise<void> => {
      const events = o.events;
      if (!events) {
        for (const e of list) await o.broker(topic, e.data);
        return;
      }
      const [first] = list;
      await asDapr('ERR_PUBSUB_PUBLISH_MESSAGE', async () => {
        if (list.length === 1 && first)
          await events.publish(topic, first.data, { key: first.key, metadata: first.metadata });
        else await events.publishMany(topic, list);
      });
    };
    const names = (req: FastifyRequest) => {
      const p = req.params as { pubsub?: string; topic?: string };
      return pubsubTopic(o.pubsubs, p.pubsub ?? '', p.topic ?? '');
    };

    const publish = async (req: FastifyRequest, reply: FastifyReply) => {
      const { pubsub, topic } = names(req);
      const event = fromPublish({
        body: bytes(req),
        contentType: header(req.headers['content-type']),
        metadata: metadataOf(req),
        topic,
        pubsubname: pubsub,
        source: o.appId,
        jsonDepth: o.jsonDepth,
        traceparent: header(req.headers.traceparent),
      });
      await store(topic, [event]);
      return reply.code(204).send();
    };
    scope.post('/v1.0/publish/:pubsub/:topic', publish);
    scope.post('/v1.0/publish/:pubsub', publish);
    scope.post('/v1.0/publish/:pubsub/', publish);

    const bulk = async (req: FastifyRequest, reply: FastifyReply) => {
      const { pubsub, topic } = names(req);
      const metadata = metadataOf(req);
      let list: unknown;
      try {
        list = parseBoundedJson(
          bytes(req).toString('utf8') || 'null',
          o.jsonDepth,
          SIDECAR_ID,
          'the body',
        );
      } catch (err) {
        throw malformed((err as Error).message);
      }
      if (!Array.isArray(list)) throw malformed('the body must be a JSON array of entries');
      if (list.length === 0) throw malformed('the body has no entries');
      if (list.length > DAPR_LIMITS.items) throw malformed(`at most ${DAPR_LIMITS.items} entries`);
      const entries = list.map(entryOf);
      if (new Set(entries.map((e) => e.id)).size !== entries.length)
        throw malformed('entry ids must be unique');
      const events = entries.map((e) =>
        fromPublish({
          body: e.body,
          contentType: e.type,
          metadata: { ...metadata, ...e.metadata },
          topic,
          pubsubname: pubsub,
          source: o.appId,
          jsonDepth: o.jsonDepth,
          traceparent: header(req.headers.traceparent),
        }),
      );
      try {
        await store(topic, events);
      } catch (err) {
        // All or none: every entry failed, as Dapr lists them.
        const e = daprError('ERR_PUBSUB_PUBLISH_MESSAGE', err);
        return reply
          .code(e.code >= 400 && e.code <= 599 ? e.code : 500)
          .type('application/json')
          .send(
            JSON.stringify({
              ...e.toJSON(),
              // entryId as Dapr writes it, entryID as the JS SDK reads it.
              failedEntries: entries.map((x) => ({
                entryId: x.id,
                entryID: x.id,
                error: e.detail,
              })),
            }),
          );
      }
      return reply.code(204).send();
    };
    scope.post('/v1.0-alpha1/publish/bulk/:pubsub/:topic', bulk);
    scope.post('/v1.0-alpha1/publish/bulk/:pubsub', bulk);
  });
}
