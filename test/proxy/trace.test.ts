import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createGateway, type Gateway } from '../../src/proxy/index.ts';
import { startSidecar, type Sidecar } from '../../src/proxy/sidecar/index.ts';
import { tracingFromEnv, type Tracing } from '../../src/platform/trace/enable.ts';
import {
  createClient,
  createHttpBroker,
  createMemoryRegistry,
  internalServerError,
  type Client,
  type Context,
} from '../../src/runtime/index.ts';
import { quiet } from '../helpers/fixtures.ts';
import { InMemorySpanExporter, isChildOf, tracedService, type Traced } from '../helpers/traced.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('tracing at the gateway and the sidecar', () => {
  const registry = createMemoryRegistry();
  const broker = createHttpBroker({ registry });
  const exporter = new InMemorySpanExporter();
  const edge = (name: string): Tracing =>
    tracingFromEnv({}, { service: name, node: `${name}-node`, exporter, delay: 0 })!;
  let a: Traced;
  let b: Traced;
  let gateway: Gateway;
  let sidecar: Sidecar;
  let sidecarTracing: Tracing;
  let client: Client;

  before(async () => {
    a = tracedService('a', registry, exporter, {}, { broker });
    b = tracedService('b', registry, exporter, {}, { broker });
    a.service.handle('A', {
      Front: async (req: unknown, ctx: Context) => ctx.call('b', 'B.Back', req),
    });
    b.service.handle('B', {
      async Back(req: { fail?: boolean }) {
        if (req.fail) throw internalServerError('b', 'the back broke');
        return trace.getTracer('user').startActiveSpan('user work', (span) => {
          span.end();
          return { ok: true };
        });
      },
    });
    await a.service.start();
    await b.service.start();
    gateway = await createGateway({
      address: '127.0.0.1:0',
      registry,
      log: false,
      trace: edge('api'),
    });
    sidecarTracing = edge('sidecar');
    client = createClient({
      registry,
      broker,
      wrappers: [sidecarTracing.wrapCall],
      publishWrappers: [sidecarTracing.wrapPublish],
    });
    sidecar = await startSidecar({
      address: '127.0.0.1:0',
      registry,
      client,
      broker,
      logger: quiet,
      tracer: sidecarTracing.tracer,
    });
  });
  after(async () => {
    await sidecar.close();
    await sidecarTracing.shutdown();
    await client.close();
    await gateway.close();
    for (const t of [a, b]) {
      await t.service.stop();
      await t.tracing.shutdown();
    }
  });

  const post = (url: string, headers: Record<string, string> = {}, body = '{}') =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const find = (service: string, kind: SpanKind, name: string): ReadableSpan => {
    const s = exporter
      .getFinishedSpans()
      .find(
        (x) =>
          x.name === name && x.kind === kind && x.resource.attributes['service.name'] === service,
      );
    assert.ok(
      s,
      `${service} ${SpanKind[kind]} ${name} in ${exporter
        .getFinishedSpans()
        .map((x) => `${String(x.resource.attributes['service.name'])}:${x.name}`)
        .join(', ')}`,
    );
    return s;
  };

  it('makes gateway -> a -> b one trace, the gateway’s request span its root', async () => {
    exporter.reset();
    const res = await post(`http://${gateway.address}/a/a/front`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
    const root = find('api', SpanKind.SERVER, 'POST /a/a/front');
    const apiClient = find('api', SpanKind.CLIENT, 'a A.Front');
    const aServer = find('a', SpanKind.SERVER, 'a A.Front');
    const aClient = find('a', SpanKind.CLIENT, 'b B.Back');
    const bServer = find('b', SpanKind.SERVER, 'b B.Back');
    const user = find('b', SpanKind.INTERNAL, 'user work');
    assert.equal(root.parentSpanContext, undefined);
    assert.ok(isChildOf(apiClient, root));
    assert.ok(isChildOf(aServer, apiClient));
    assert.ok(isChildOf(aClient, aServer));
    assert.ok(isChildOf(bServer, aClient));
    assert.ok(isChildOf(user, bServer));
    assert.equal(root.attributes['http.request.method'], 'POST');
    assert.equal(root.attributes['url.path'], '/a/a/front');
    assert.equal(root.attributes['http.response.status_code'], 200);
  });

  it('honours the traceparent of the request it is sent, and ignores a hostile one', async () => {
    exporter.reset();
    await post(`http://${gateway.address}/a/a/front`, {
      traceparent: `00-${TRACE}-${PARENT}-01`,
      tracestate: 'vendor=1',
    });
    const root = find('api', SpanKind.SERVER, 'POST /a/a/front');
    assert.equal(root.spanContext().traceId, TRACE);
    assert.equal(root.parentSpanContext?.spanId, PARENT);
    assert.equal(find('b', SpanKind.SERVER, 'b B.Back').spanContext().traceId, TRACE);
    assert.equal(
      find('b', SpanKind.SERVER, 'b B.Back').spanContext().traceState?.get('vendor'),
      '1',
    );

    for (const hostile of [
      `00-${'0'.repeat(32)}-${PARENT}-01`,
      `00-${TRACE}-${PARENT}-0${'1'.repeat(400)}`,
      'nonsense',
    ]) {
      exporter.reset();
      const res = await post(`http://${gateway.address}/a/a/front`, { traceparent: hostile });
      assert.equal(res.status, 200);
      const span = find('api', SpanKind.SERVER, 'POST /a/a/front');
      assert.equal(span.parentSpanContext, undefined);
      assert.notEqual(span.spanContext().traceId, TRACE);
    }
  });

  it('marks a request answered with a 5xx an error', async () => {
    exporter.reset();
    const res = await post(`http://${gateway.address}/a/a/front`, {}, '{"fail":true}');
    assert.equal(res.status, 500);
    const root = find('api', SpanKind.SERVER, 'POST /a/a/front');
    assert.equal(root.status.code, SpanStatusCode.ERROR);
    assert.equal(root.attributes['http.response.status_code'], 500);
  });

  it('makes sidecar -> b one trace under the request’s traceparent, by route template', async () => {
    exporter.reset();
    const res = await post(`http://${sidecar.address}/b/B.Back`, {
      traceparent: `00-${TRACE}-${PARENT}-01`,
    });
    assert.equal(res.status, 200);
    const root = find('sidecar', SpanKind.SERVER, 'POST /:service/:endpoint');
    const call = find('sidecar', SpanKind.CLIENT, 'b B.Back');
    const bServer = find('b', SpanKind.SERVER, 'b B.Back');
    assert.equal(root.parentSpanContext?.spanId, PARENT);
    assert.ok(isChildOf(call, root));
    assert.ok(isChildOf(bServer, call));
    assert.equal(root.attributes['url.path'], '/b/B.Back');

    exporter.reset();
    assert.equal((await fetch(`http://${sidecar.address}/health`)).status, 200);
    assert.deepEqual(exporter.getFinishedSpans(), []);
  });
});
