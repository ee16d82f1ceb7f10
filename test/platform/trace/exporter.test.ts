import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { context, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, isTracingSuppressed, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';
import { createMicroTrace } from '../../../src/platform/trace/client.ts';
import { createTraceExporter, otlpTracesUrl } from '../../../src/platform/trace/exporter.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: OtlpBody;
}
interface OtlpKeyValue {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpBody {
  resourceSpans: {
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: {
      spans: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes: OtlpKeyValue[];
      }[];
    }[];
  }[];
}

/** An OTLP/HTTP receiver on 127.0.0.1 that decodes the JSON it gets; answers `status` (200 by default). */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  status: { code: number };
  next: () => Promise<Received>;
  stop: () => Promise<void>;
}> {
  const received: Received[] = [];
  const waiting: ((r: Received) => void)[] = [];
  const status = { code: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpBody,
      };
      received.push(r);
      waiting.shift()?.(r);
      res.writeHead(status.code, { 'content-type': 'application/json' });
      res.end(status.code === 200 ? '{}' : '{"code":13,"message":"down"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    status,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const attr = (list: OtlpKeyValue[], key: string) => list.find((a) => a.key === key)?.value;

describe('trace exporter', () => {
  const address = serverForTests(() => startTestControlPlane('micro-trace-export-'));
  const manager = new AsyncLocalStorageContextManager();
  before(() => {
    context.setGlobalContextManager(manager.enable());
  });
  after(() => {
    context.disable();
  });

  it('appends /v1/traces to an endpoint unless present', () => {
    assert.equal(otlpTracesUrl('http://127.0.0.1:4318'), 'http://127.0.0.1:4318/v1/traces');
    assert.equal(otlpTracesUrl('http://127.0.0.1:4318/'), 'http://127.0.0.1:4318/v1/traces');
    assert.equal(otlpTracesUrl('https://otel.example/v1/traces'), 'https://otel.example/v1/traces');
    assert.equal(otlpTracesUrl('http://h:1/prefix'), 'http://h:1/prefix/v1/traces');
    assert.throws(() => createTraceExporter({ MICRO_TRACE_OTLP_ENDPOINT: 'not a url' }), TypeError);
  });

  it('sends spans through the official OTLP exporter to MICRO_TRACE_OTLP_ENDPOINT and to the trace service', async () => {
    const receiver = await startReceiver();
    const client = createClient({ registry: createMicroRegistry({ address: address() }) });
    const exporter = createTraceExporter(
      {
        MICRO_TRACE_OTLP_ENDPOINT: receiver.url,
        MICRO_TRACE_OTLP_HEADERS: 'x-api-key=s3cret,x-tenant=blue%20team',
      },
      { client },
    );
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'greeter' }),
      spanProcessors: [new BatchSpanProcessor({ exporter })],
    });
    const tracer = provider.getTracer('test');
    try {
      const got = receiver.next();
      let ids: { trace: string; root: string } | undefined;
      tracer.startActiveSpan('greeter Say.Hello', { kind: SpanKind.SERVER }, (root) => {
        tracer
          .startSpan('store Store.Get', {
            kind: SpanKind.CLIENT,
            attributes: { 'peer.service': 'store', 'micro.attempt': 1 },
          })
          .end();
        ids = { trace: root.spanContext().traceId, root: root.spanContext().spanId };
        root.setAttribute('rpc.method', 'Say.Hello');
        root.end();
      });
      await provider.forceFlush();
      const r = await got;
      assert.equal(r.path, '/v1/traces');
      assert.equal(r.headers['x-api-key'], 's3cret');
      assert.equal(r.headers['x-tenant'], 'blue team');
      assert.match(r.headers['content-type'] ?? '', /application\/json/);
      const [resource] = r.body.resourceSpans;
      assert.deepEqual(attr(resource!.resource.attributes, 'service.name'), {
        stringValue: 'greeter',
      });
      const spans = resource!.scopeSpans.flatMap((s) => s.spans);
      const root = spans.find((s) => s.name === 'greeter Say.Hello');
      const child = spans.find((s) => s.name === 'store Store.Get');
      assert.equal(root?.traceId, ids!.trace);
      assert.equal(root?.spanId, ids!.root);
      assert.equal(root?.parentSpanId, undefined);
      assert.equal(child?.traceId, ids!.trace);
      assert.equal(child?.parentSpanId, ids!.root);
      assert.equal(child?.kind, 3);
      assert.deepEqual(attr(child.attributes, 'peer.service'), { stringValue: 'store' });
      assert.deepEqual(attr(child.attributes, 'micro.attempt'), { intValue: 1 });

      // The same spans, through Trace.Export, in the control plane's store.
      const store = createMicroTrace({ address: address() });
      const kept = await store.get(ids!.trace);
      await store.close();
      // Sorted by start: the two may start in the same microsecond, so the root is found by name.
      assert.deepEqual(
        kept.spans
          .map((s) => [s.name, s.kind, s.service, s.parentSpanId ?? null])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          ['greeter Say.Hello', 'server', 'greeter', null],
          ['store Store.Get', 'client', 'greeter', ids!.root],
        ],
      );
      assert.equal(kept.spans.find((s) => s.parentSpanId === undefined)?.endpoint, 'Say.Hello');
      assert.equal(exporter.dropped, 0);
    } finally {
      await provider.shutdown();
      await client.close();
      await receiver.stop();
    }
  });

  it('reports a failing export through its callback, counts and logs it once, never throws', async () => {
    const receiver = await startReceiver();
    receiver.status.code = 400;
    const warnings: string[] = [];
    const infos: string[] = [];
    let suppressed = false;
    let fail = true;
    const exporter = createTraceExporter(
      { MICRO_TRACE_OTLP_ENDPOINT: receiver.url },
      {
        sink: async () => {
          suppressed = isTracingSuppressed(context.active());
          if (fail) throw new Error('control plane away');
        },
        logger: { info: (m) => infos.push(m), warn: (m) => warnings.push(m), error: () => {} },
      },
    );
    const provider = new TracerProvider({ spanProcessors: [] });
    const spans = (): ReadableSpan[] => {
      const s = provider.getTracer('t').startSpan('x') as unknown as ReadableSpan & { end(): void };
      s.end();
      return [s];
    };
    const run = (batch: ReadableSpan[]) =>
      new Promise<ExportResult>((resolve) => exporter.export(batch, resolve));
    try {
      const first = await run(spans());
      assert.equal(first.code, ExportResultCode.FAILED);
      assert.match(
        first.error?.message ?? '',
        /trace export to the trace service failed: control plane away/,
      );
      assert.equal(suppressed, true, 'the export runs with tracing suppressed');
      await run([...spans(), ...spans()]);
      assert.equal(exporter.dropped, 3);
      assert.equal(warnings.length, 1, 'logged once while failing');
      fail = false;
      const third = await run(spans());
      assert.equal(third.code, ExportResultCode.FAILED, 'the OTLP endpoint still refuses');
      assert.match(third.error?.message ?? '', /v1\/traces failed/);
      receiver.status.code = 200;
      assert.equal((await run(spans())).code, ExportResultCode.SUCCESS);
      assert.deepEqual(infos, ['trace export works again']);
      assert.equal(exporter.dropped, 4);
    } finally {
      await exporter.shutdown();
      await provider.shutdown();
      await receiver.stop();
    }
  });
});
