// The exporter's own OTLP JSON (otlp-json.ts) says what the official JsonTraceSerializer says:
// the same request once parsed, and the same spans once the trace service decodes it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { decodeOtlpJson } from '../../../src/platform/trace/otlp.ts';
import { otlpJsonOf } from '../../../src/platform/trace/otlp-json.ts';

/** Spans of two services, with attributes of every type, events, a link, errors and a parent. */
async function spans(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const made = ['orders', 'billing'].map(
    (service) =>
      new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': service, 'service.instance.id': 'n1' }),
        spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
      }),
  );
  const [a, b] = made.map((p) => p.getTracer('micro', '1.0.0'));
  const root = a!.startSpan('orders Orders.Place', {
    kind: SpanKind.SERVER,
    attributes: { 'rpc.method': 'Orders.Place', n: 3, ratio: 0.5, ok: true, tags: ['x', 'y'] },
  });
  const ctx = trace.setSpan(context.active(), root);
  const child = b!.startSpan(
    'billing Billing.Charge',
    {
      kind: SpanKind.CLIENT,
      links: [{ context: root.spanContext(), attributes: { why: 'retry' } }],
    },
    ctx,
  );
  child.setAttribute('micro.code', 503);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'no funds' });
  child.addEvent('exception', { 'exception.type': 'Unavailable', 'exception.message': 'no funds' });
  child.end();
  b!.startSpan('other', {}, ctx).end();
  root.end();
  await Promise.all(made.map((p) => p.forceFlush()));
  const list = memory.getFinishedSpans();
  assert.equal(list.length, 3);
  return list;
}

describe('OTLP JSON made from spans', () => {
  it('is what the official serializer writes, parsed back', async () => {
    const list = await spans();
    const official = JSON.parse(
      new TextDecoder().decode(JsonTraceSerializer.serializeRequest(list)),
    ) as unknown;
    // Through JSON both ways, so absent and undefined fields compare alike.
    assert.deepEqual(JSON.parse(JSON.stringify(otlpJsonOf(list))), official);
  });

  it('decodes to the same spans in the trace service', async () => {
    const list = await spans();
    const official = JSON.parse(
      new TextDecoder().decode(JsonTraceSerializer.serializeRequest(list)),
    ) as unknown;
    const ours = decodeOtlpJson(otlpJsonOf(list));
    assert.deepEqual(ours, decodeOtlpJson(official));
    assert.equal(ours.length, 3);
    const charge = ours.find((s) => s.name === 'billing Billing.Charge')!;
    assert.equal(charge.service, 'billing');
    assert.equal(charge.status, 'error');
    assert.equal(charge.code, 503);
    assert.equal(charge.parentSpanId, ours.find((s) => s.name === 'orders Orders.Place')!.spanId);
  });
});
