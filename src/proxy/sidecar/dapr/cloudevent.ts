// CloudEvents 1.0 for Dapr's pub/sub: what a Dapr publish stores on micro's events, and the envelope
// a subscribed app is sent. A publish stores the event's data as data (a JSON value; text as a
// string; other content types as base64 text) and its CloudEvent attributes in the metadata entry
// `dapr.cloudevent` (JSON, at most the events' 4 KiB per value), so a micro service subscribing to
// the same topic reads the plain data while a Dapr app gets the envelope. An event published by a
// micro service, or with Dapr's rawPayload, has no attributes: its envelope is made from the stored
// event (id, time, the publishing service as source).
import { createHash } from 'node:crypto';
import type { EventRecord } from '../../../platform/events/events.ts';
import { parseBoundedJson } from '../../nesting.ts';
import { SIDECAR_ID } from '../guard.ts';
import { DaprError, malformed } from './errors.ts';
import { isObject } from './input.ts';
import { badRequest } from '../../../runtime/errors.ts';

/** The metadata entry holding a Dapr publish's CloudEvent attributes. */
export const CLOUDEVENT_METADATA = 'dapr.cloudevent';
/** The metadata entry marking data stored as base64 text (a binary content type). */
export const ENCODING_METADATA = 'dapr.encoding';

/** What a publish stores: the event's data, its metadata, and its idempotency key. */
export interface StoredEvent {
  /** The JSON value to store. */
  data: unknown;
  /** The metadata, with the attributes when wrapped. */
  metadata: Record<string, string>;
  /** From the publisher's own CloudEvent source and id, when it gave an id: a retried publish is stored once. */
  key?: string;
}

/** A publish request as the routes read it. */
export interface PublishInput {
  /** The body's bytes (empty for none). */
  body: Buffer;
  /** The Content-Type header (Dapr assumes text/plain without one). */
  contentType: string | undefined;
  /** The `metadata.X` query parameters. */
  metadata: Record<string, string>;
  /** The topic and the pubsub name, as the envelope carries them. */
  topic: string;
  pubsubname: string;
  /** The publishing app's id: the envelope's source. */
  source: string;
  /** Deepest JSON nesting. */
  jsonDepth: number;
  /** The request's W3C traceparent header, carried as Dapr does. */
  traceparent?: string;
}

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json$/i;
const bare = (type: string | undefined): string =>
  (type ?? 'text/plain').split(';')[0]?.trim().toLowerCase() ?? '';

/** A 400 with Dapr's ERR_PUBSUB_CLOUD_EVENTS_SER. */
function notCloudEvent(detail: string): DaprError {
  return new DaprError('ERR_PUBSUB_CLOUD_EVENTS_SER', badRequest(SIDECAR_ID, detail));
}

/** JSON text as a value; a 400 ERR_MALFORMED_REQUEST when it is not JSON or nests too deep. */
function json(text: string, depth: number): unknown {
  try {
    return parseBoundedJson(text, depth, SIDECAR_ID, 'the body');
  } catch (err) {
    throw malformed((err as Error).message);
  }
}

/** The body as data by its content type: JSON parsed, text as a string, anything else base64. */
function decode(
  body: Buffer,
  contentType: string,
  depth: number,
): { data: unknown; base64: boolean } {
  if (JSON_TYPE.test(contentType))
    return {
      data: json(body.toString('utf8'), depth),
      base64: false,
    };
  if (contentType.startsWith('text/')) return { data: body.toString('utf8'), base64: false };
  return { data: body.toString('base64'), base64: true };
}

/** Dapr's `metadata.cloudevent.X` overrides of the attributes it makes. */
function overrides(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata))
    if (k.startsWith('cloudevent.') && k.length > 'cloudevent.'.length)
      out[k.slice('cloudevent.'.length)] = v;
  return out;
}

/** The idempotency key of a CloudEvent: its source and id, which CloudEvents make unique per event. */
const keyOf = (source: string, id: string): string =>
  `ce-${createHash('sha256').update(`${source}\n${id}`).digest('base64url')}`;

/** Turns a Dapr publish into what is stored: wrapped unless rawPayload, the app's envelope kept. */
export function fromPublish(p: PublishInput): StoredEvent {
  const type = bare(p.contentType);
  const raw = p.metadata.rawPayload === 'true';
  const carried: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata))
    if (k !== 'rawPayload' && !k.startsWith('cloudevent.')) carried[k] = v;
  if (raw) {
    const { data, base64 } = decode(p.body, type, p.jsonDepth);
    return { data, metadata: { ...carried, ...(base64 && { [ENCODING_METADATA]: 'base64' }) } };
  }
  let attributes: Record<string, unknown>;
  let data: unknown;
  let base64 = false;
  if (type === 'application/cloudevents+json') {
    const envelope = json(p.body.toString('utf8'), p.jsonDepth);
    if (!isObject(envelope)) throw notCloudEvent('a CloudEvent must be a JSON object');
    const { data: d, data_base64: b64, ...rest } = envelope;
    if (rest.specversion !== undefined && rest.specversion !== '1.0')
      throw notCloudEvent('specversion must be "1.0"');
    for (const [k, v] of Object.entries(rest))
      if (!/^[a-z0-9]{1,20}$/.test(k) || (v !== null && typeof v === 'object'))
        throw notCloudEvent(
          `CloudEvent attribute ${JSON.stringify(k.slice(0, 100))} must be named by 1 to 20 of a-z 0-9 and hold a string, number or boolean`,
        );
    if (b64 !== undefined) {
      if (typeof b64 !== 'string' || d !== undefined)
        throw notCloudEvent('data_base64 must be a string, and not given with data');
      base64 = true;
    }
    attributes = rest;
    data = b64 ?? d ?? null;
  } else {
    const decoded = decode(p.body, type, p.jsonDepth);
    data = decoded.data;
    base64 = decoded.base64;
    attributes = { datacontenttype: type };
  }
  const given = overrides(p.metadata);
  const id = typeof attributes.id === 'string' ? attributes.id : given.id;
  if (id !== undefined && (id === '' || Buffer.byteLength(id) > 256))
    throw notCloudEvent('the CloudEvent id must be 1 to 256 bytes');
  const stored: Record<string, unknown> = {
    specversion: '1.0',
    source: p.source,
    type: 'com.dapr.event.sent',
    ...(p.traceparent !== undefined && { traceparent: p.traceparent, traceid: p.traceparent }),
    ...attributes,
    ...given,
    topic: p.topic,
    pubsubname: p.pubsubname,
  };
  return {
    data,
    metadata: {
      ...carried,
      [CLOUDEVENT_METADATA]: JSON.stringify(stored),
      ...(base64 && { [ENCODING_METADATA]: 'base64' }),
    },
    ...(id !== undefined && { key: keyOf(String(stored.source), id) }),
  };
}

/** A CloudEvent as POSTed to a subscribed app. */
export type CloudEvent = Record<string, unknown> & { id: string; specversion: '1.0' };

/** The stored attributes of an event, or none when it was not published wrapped. */
function attributesOf(record: EventRecord): Record<string, unknown> {
  const text = record.metadata[CLOUDEVENT_METADATA];
  if (text === undefined) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return isObject(v) ? v : {};
  } catch {
    return {};
  }
}

/** The envelope of a stored event for a subscription of `pubsubname`, rawPayload as Dapr sends it (base64). */
export function toCloudEvent(record: EventRecord, pubsubname: string, raw = false): CloudEvent {
  const attributes = attributesOf(record);
  const base64 = record.metadata[ENCODING_METADATA] === 'base64' && typeof record.data === 'string';
  const envelope: CloudEvent = {
    source: record.metadata['micro-from'] ?? 'micro',
    type: 'com.dapr.event.sent',
    datacontenttype: 'application/json',
    ...attributes,
    specversion: '1.0',
    id: typeof attributes.id === 'string' ? attributes.id : record.id,
    time:
      typeof attributes.time === 'string' ? attributes.time : new Date(record.time).toISOString(),
    topic: record.topic,
    pubsubname,
  };
  if (raw) {
    const bytes = base64
      ? Buffer.from(record.data as string, 'base64')
      : Buffer.from(typeof record.data === 'string' ? record.data : JSON.stringify(record.data));
    return {
      ...envelope,
      datacontenttype: 'application/octet-stream',
      data_base64: bytes.toString('base64'),
    };
  }
  return base64 ? { ...envelope, data_base64: record.data } : { ...envelope, data: record.data };
}
