// Finished OpenTelemetry spans as an OTLP JSON ExportTraceServiceRequest object, built directly
// (one pass, no bytes in between): what JsonTraceSerializer writes, parsed back, without writing
// and parsing it. Ids are lower-case hex (OTLP JSON's rule), times unix nanoseconds as strings of
// digits, kinds OTLP's enum numbers (the API's + 1), attribute values AnyValue objects (integers
// intValue, other numbers doubleValue, arrays arrayValue, bytes base64). Spans are grouped by
// resource (by identity: one per provider) and by instrumentation scope, as the SDK's own
// transformer does; a resource's encoding is made once and reused for every batch.
import type { Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { OtlpJsonRequest } from './exporter.ts';

type Json = Record<string, unknown>;

/** OTLP span flags: the W3C trace flags, and "has is-remote" with whether the parent is remote. */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** Unix nanoseconds of an HrTime as a string of digits (exact: no float past 2^53). */
function nanos(time: HrTime): string {
  const [s, ns] = time;
  if (s === 0) return String(ns);
  const frac = String(ns);
  return `${s}${'000000000'.slice(frac.length)}${frac}`;
}

/** An attribute value as an OTLP AnyValue. */
function anyValue(v: unknown): Json {
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'number':
      return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
    default:
      if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v).toString('base64') };
      if (Array.isArray(v))
        return { arrayValue: { values: (v as unknown[]).map((x) => anyValue(x)) } };
      return {};
  }
}

/** The empty list every span without events, links or attributes shares (never changed). */
const NONE: Json[] = [];

/** Attributes as an OTLP KeyValue list. */
function keyValues(attributes: Attributes | undefined): Json[] {
  if (attributes === undefined) return NONE;
  const out: Json[] = [];
  for (const key in attributes) out.push({ key, value: anyValue(attributes[key]) });
  return out;
}

/** The OTLP flags of a span (or a link) context. */
const flagsOf = (traceFlags: number, remote: boolean | undefined): number =>
  (traceFlags & 0xff) | HAS_IS_REMOTE | (remote ? IS_REMOTE : 0);

/** A link to another span. */
function linkOf(link: { context: SpanContext; attributes?: Attributes }): Json {
  const c = link.context;
  return {
    traceId: c.traceId,
    spanId: c.spanId,
    ...(c.traceState && { traceState: c.traceState.serialize() }),
    attributes: keyValues(link.attributes),
    droppedAttributesCount: 0,
    flags: flagsOf(c.traceFlags, c.isRemote),
  };
}

/** One finished span as an OTLP JSON span. */
export function otlpSpanOf(span: ReadableSpan): Json {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  const status = span.status;
  const out: Json = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: keyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events:
      span.events.length === 0
        ? NONE
        : span.events.map((e) => ({
            name: e.name,
            timeUnixNano: nanos(e.time),
            attributes: keyValues(e.attributes),
            droppedAttributesCount: e.droppedAttributesCount ?? 0,
          })),
    droppedEventsCount: span.droppedEventsCount,
    status, // {code, message?}: the SDK's own object, as OTLP JSON has it
    links: span.links.length === 0 ? NONE : span.links.map(linkOf),
    droppedLinksCount: span.droppedLinksCount,
    flags: flagsOf(ctx.traceFlags, parent?.isRemote),
  };
  if (parent?.spanId) out.parentSpanId = parent.spanId;
  if (ctx.traceState) out.traceState = ctx.traceState.serialize();
  return out;
}

/** Each resource's OTLP form, made once. */
const resources = new WeakMap<Resource, Json>();

function resourceOf(resource: Resource): Json {
  let out = resources.get(resource);
  if (out === undefined) {
    out = { attributes: keyValues(resource.attributes), droppedAttributesCount: 0 };
    if (resource.schemaUrl) out.schemaUrl = resource.schemaUrl;
    resources.set(resource, out);
  }
  return out;
}

/** Spans as an ExportTraceServiceRequest: grouped by resource, then by instrumentation scope. */
export function otlpJsonOf(spans: readonly ReadableSpan[]): OtlpJsonRequest {
  type Scopes = Map<string, { scope: Json; spans: Json[] }>;
  const byResource = new Map<Resource, Scopes>();
  for (const span of spans) {
    let scopes = byResource.get(span.resource);
    if (scopes === undefined) byResource.set(span.resource, (scopes = new Map() as Scopes));
    const s = span.instrumentationScope;
    const key = `${s.name}@${s.version ?? ''}:${s.schemaUrl ?? ''}`;
    let group = scopes.get(key);
    if (group === undefined) {
      const scope: Json = { name: s.name, version: s.version };
      group = { scope, spans: [] };
      if (s.schemaUrl) Object.assign(group, { schemaUrl: s.schemaUrl });
      scopes.set(key, group);
    }
    group.spans.push(otlpSpanOf(span));
  }
  const resourceSpans: Json[] = [];
  for (const [resource, scopes] of byResource) {
    const encoded = resourceOf(resource);
    resourceSpans.push({
      resource: encoded,
      scopeSpans: [...scopes.values()],
      ...(encoded.schemaUrl !== undefined && { schemaUrl: encoded.schemaUrl }),
    });
  }
  return { resourceSpans };
}
