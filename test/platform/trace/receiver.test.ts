import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createMicroTrace } from '../../../src/platform/trace/client.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { startedForTests } from '../../helpers/lifecycle.ts';
import { rawExchange, rawRequest } from '../../helpers/raw-http.ts';

// A real control plane: OTLP/HTTP posted to POST /v1/traces on its port as any SDK or curl would,
// read back through the trace service; and the service's own Export and Write refusing bad input.
const cp = startedForTests(() => startTestControlPlane('micro-trace-otlp-'));
const port = () => Number(cp().address.split(':')[1]);

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** An OTLP JSON request of these spans from the service `service`. */
const otlp = (spans: object[], service = 'checkout-py') => ({
  resourceSpans: [
    {
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: service } },
          { key: 'service.instance.id', value: { stringValue: 'pod-7' } },
        ],
      },
      scopeSpans: [{ scope: { name: 'opentelemetry.instrumentation.flask' }, spans }],
    },
  ],
});

/** Posts `body` to /v1/traces as raw HTTP/1.1 and returns the answer. */
async function post(body: string | Buffer, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : '';
  const head = rawRequest(port(), {
    path: '/v1/traces',
    headers: {
      'content-type': 'application/json',
      ...(typeof body !== 'string' && { 'content-length': String(body.length) }),
      ...headers,
    },
    body: text,
  });
  return rawExchange(port(), typeof body === 'string' ? [head] : [head, body], {
    untilResponse: true,
  });
}

describe('OTLP/HTTP receiver (POST /v1/traces on the control plane)', () => {
  it('takes OTLP JSON as an SDK in another language sends it, read back with the trace service', async () => {
    const traceId = hex(16).toUpperCase();
    const root = hex(8);
    const child = hex(8);
    const t0 = BigInt(Date.now() - 5000) * 1_000_000n;
    const request = otlp([
      {
        traceId,
        spanId: root,
        name: 'POST /checkout',
        kind: 2,
        startTimeUnixNano: String(t0),
        endTimeUnixNano: String(t0 + 12_500_000n),
        attributes: [
          { key: 'http.route', value: { stringValue: '/checkout' } },
          { key: 'http.response.status_code', value: { intValue: '502' } },
          { key: 'retry', value: { boolValue: true } },
          { key: 'ratio', value: { doubleValue: 0.25 } },
          {
            key: 'tags',
            value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }] } },
          },
        ],
        status: { code: 2, message: 'payment failed' },
        events: [{ timeUnixNano: Number(t0 + 1_000_000n), name: 'exception', attributes: [] }],
      },
      {
        traceId,
        spanId: child,
        parentSpanId: root,
        name: 'payments Charge.Card',
        kind: 'SPAN_KIND_CLIENT',
        startTimeUnixNano: String(t0 + 1_000_000n),
        endTimeUnixNano: String(t0 + 11_000_000n),
        attributes: [{ key: 'peer.service', value: { stringValue: 'payments' } }],
      },
    ]);
    const res = await post(JSON.stringify(request));
    assert.equal(res.status, 200, res.body);
    assert.match(res.headers['content-type'] ?? '', /application\/json/);
    assert.deepEqual(JSON.parse(res.body), {});

    const trace = createMicroTrace({ address: cp().address });
    try {
      const got = await trace.get(traceId.toLowerCase());
      assert.equal(got.spans.length, 2);
      const [first, second] = got.spans;
      assert.equal(first!.spanId, root);
      assert.equal(first!.service, 'checkout-py');
      assert.equal(first!.kind, 'server');
      assert.equal(first!.endpoint, '/checkout');
      assert.equal(first!.status, 'error');
      assert.equal(first!.code, 502);
      assert.equal(first!.message, 'payment failed');
      assert.equal(first!.duration, 12.5);
      assert.equal(first!.start, Number(t0 / 1_000_000n));
      assert.deepEqual(first!.attributes, {
        'http.route': '/checkout',
        'http.response.status_code': 502,
        retry: true,
        ratio: 0.25,
        tags: '["a",2]',
        'service.instance.id': 'pod-7',
      });
      assert.deepEqual(first!.events, [{ time: first!.start + 1, name: 'exception' }]);
      assert.equal(second!.parentSpanId, root);
      assert.equal(second!.kind, 'client');
      const [listed] = await trace.list({ service: 'checkout-py', limit: 1 });
      assert.equal(listed?.traceId, traceId.toLowerCase());
      assert.equal(listed?.errors, 1);
      const map = await trace.map();
      assert.ok(map.edges.some((e) => e.from === 'checkout-py' && e.to === 'payments'));
    } finally {
      await trace.close();
    }
  });

  it('takes gzip and the binary protobuf encoding as the official SDK writes it', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'proto-app' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
    });
    const tracer = provider.getTracer('t');
    const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER });
    tracer
      .startSpan(
        'child',
        { kind: SpanKind.PRODUCER, attributes: { n: 7 } },
        trace.setSpan(context.active(), parent),
      )
      .end();
    parent.setStatus({ code: SpanStatusCode.ERROR, message: 'no' });
    parent.end();
    const spans: ReadableSpan[] = memory.getFinishedSpans();
    assert.equal(spans.length, 2);
    const bytes = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    const res = await post(gzipSync(bytes), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/x-protobuf');
    const traceId = spans[0]!.spanContext().traceId;
    const traces = createMicroTrace({ address: cp().address });
    try {
      const got = await traces.get(traceId);
      // Sorted by start: the two may start in the same microsecond, so they are matched by name.
      assert.deepEqual(
        got.spans
          .map((s) => [s.name, s.kind, s.service, s.status, s.parentSpanId ?? null])
          .sort((a, b) => String(b[0]).localeCompare(String(a[0]))),
        [
          ['parent', 'server', 'proto-app', 'error', null],
          ['child', 'producer', 'proto-app', 'unset', parent.spanContext().spanId],
        ],
      );
      assert.equal(got.spans.find((s) => s.name === 'child')?.attributes.n, 7);
    } finally {
      await traces.close();
      await provider.shutdown();
    }
    const bad = await post(Buffer.from([0xff, 0xff, 0xff]), {
      'content-type': 'application/x-protobuf',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers['content-type'], 'application/x-protobuf');
  });

  it('answers bad input with a 400 Status naming what is wrong, and stores nothing of it', async () => {
    const traceId = hex(16);
    const good = {
      traceId,
      spanId: hex(8),
      name: 'ok',
      startTimeUnixNano: '1',
      endTimeUnixNano: '2',
    };
    const cases: [string, RegExp][] = [
      ['{"resourceSpans": [', /not JSON/],
      ['[1, 2]', /must be an object/],
      [
        JSON.stringify(otlp([good, { ...good, spanId: 'AAECAwQFBgc=' }])),
        /spanId must be 16 hex digits/,
      ],
      [JSON.stringify(otlp([good, { ...good, traceId: 'zz' }])), /traceId must be 32 hex digits/],
      [
        JSON.stringify(otlp([good, { ...good, startTimeUnixNano: 'yesterday' }])),
        /startTimeUnixNano must be unix nanoseconds/,
      ],
      [JSON.stringify(otlp([good, { ...good, kind: 9 }])), /kind is not a known value/],
      [
        JSON.stringify(
          otlp([
            good,
            { ...good, attributes: [{ key: 'blob', value: { stringValue: 'x'.repeat(70_000) } }] },
          ]),
        ),
        /over 65536/,
      ],
      [
        JSON.stringify(otlp(Array.from({ length: 10_001 }, () => ({ ...good, spanId: hex(8) })))),
        /10001 spans, over 10000/,
      ],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, body.slice(0, 80));
      const status = JSON.parse(res.body) as { code: number; message: string };
      assert.equal(status.code, 3);
      assert.match(status.message, message);
    }
    const trace = createMicroTrace({ address: cp().address });
    await assert.rejects(trace.get(traceId), { code: 404 });
    await trace.close();
  });

  it('refuses a body over 4 MiB (413), other types (415), other methods (405) and a browser page', async () => {
    const big = await post(`{"resourceSpans": [], "pad": "${'x'.repeat(4 * 1024 * 1024)}"}`);
    assert.equal(big.status, 413);
    const bomb = await post(gzipSync(Buffer.alloc(5 * 1024 * 1024, 32)), {
      'content-encoding': 'gzip',
    });
    assert.equal(bomb.status, 413);
    assert.equal((await post('{}', { 'content-type': 'text/plain' })).status, 415);
    const get = await rawExchange(
      port(),
      [rawRequest(port(), { method: 'GET', path: '/v1/traces' })],
      {
        untilResponse: true,
      },
    );
    assert.equal(get.status, 405);
    const page = await post('{}', { origin: 'https://evil.example' });
    assert.equal(page.status, 403);
    const rebound = await post('{}', { host: 'evil.example' });
    assert.equal(rebound.status, 421);
  });

  it('checks Trace.Export and Trace.Write on the server too, not only in the client', async () => {
    const client = createClient({ registry: createMicroRegistry({ address: cp().address }) });
    try {
      const span = {
        traceId: hex(16),
        spanId: hex(8),
        name: 'n',
        kind: 'server',
        service: 's',
        start: 1,
        duration: 1,
        status: 'unset',
        attributes: {},
      };
      await assert.rejects(
        client.call('trace', 'Trace.Write', { spans: Array.from({ length: 10_001 }, () => span) }),
        { code: 400 },
      );
      await assert.rejects(
        client.call('trace', 'Trace.Write', { spans: [{ ...span, traceId: 'x' }] }),
        (e: { code: number; detail: string }) =>
          e.code === 400 && /spans\[0\]\.traceId must be 32/.test(e.detail),
      );
      await assert.rejects(
        client.call(
          'trace',
          'Trace.Export',
          otlp([{ traceId: span.traceId, spanId: 'nothex', name: 'n', startTimeUnixNano: 1 }]),
        ),
        (e: { code: number; detail: string }) => e.code === 400 && /spanId/.test(e.detail),
      );
      await assert.rejects(client.call('trace', 'Trace.Get', { id: 'x' }), { code: 400 });
      await assert.rejects(client.call('trace', 'Trace.List', { limit: 1000 }), { code: 400 });
      assert.deepEqual(await client.call('trace', 'Trace.Export', { resourceSpans: [] }), {});
    } finally {
      await client.close();
    }
  });
});
