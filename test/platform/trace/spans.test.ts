import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  createMemoryRegistry,
  internalServerError,
  serverStream,
  type Context,
  type MicroError,
} from '../../../src/runtime/index.ts';
import {
  InMemorySpanExporter,
  isChildOf,
  spanNamed,
  tracedService,
  type Traced,
} from '../../helpers/traced.ts';

describe('tracing calls, streams, publishes and events', () => {
  const registry = createMemoryRegistry();
  const exporter = new InMemorySpanExporter();
  let edge: Traced;
  let a: Traced;
  let b: Traced;
  let delivered: () => void = () => undefined;

  before(async () => {
    edge = tracedService('edge', registry, exporter);
    a = tracedService('a', registry, exporter);
    b = tracedService('b', registry, exporter);
    a.service.handle('A', {
      Front: async (req: { fail?: boolean }, ctx: Context) => ctx.call('b', 'B.Back', req),
    });
    b.service.handle('B', {
      async Back(req: { fail?: boolean }) {
        if (req.fail) throw internalServerError('b', 'the back broke');
        return trace.getTracer('user').startActiveSpan('user work', (span) => {
          span.end();
          return { ok: true };
        });
      },
      Count: serverStream(async function* () {
        yield 1;
        yield 2;
      }),
    });
    b.service.subscribe('ticks', () => delivered());
    for (const t of [edge, a, b]) await t.service.start();
  });
  after(async () => {
    for (const t of [edge, a, b]) {
      await t.service.stop();
      await t.tracing.shutdown();
    }
  });

  it('makes one trace of a call chain, with the handler’s own span as a child', async () => {
    exporter.reset();
    assert.deepEqual(await edge.service.client.call('a', 'A.Front', {}), { ok: true });
    const spans = exporter.getFinishedSpans();
    const of = (service: string, kind: SpanKind, name: string) => {
      const s = spans.find(
        (x) =>
          x.name === name && x.kind === kind && x.resource.attributes['service.name'] === service,
      );
      assert.ok(s, `${service} ${SpanKind[kind]} ${name}`);
      return s;
    };
    const root = of('edge', SpanKind.CLIENT, 'a A.Front');
    const aServer = of('a', SpanKind.SERVER, 'a A.Front');
    const aClient = of('a', SpanKind.CLIENT, 'b B.Back');
    const bServer = of('b', SpanKind.SERVER, 'b B.Back');
    const user = of('b', SpanKind.INTERNAL, 'user work');
    assert.equal(root.parentSpanContext, undefined);
    assert.ok(isChildOf(aServer, root));
    assert.ok(isChildOf(aClient, aServer));
    assert.ok(isChildOf(bServer, aClient));
    assert.ok(isChildOf(user, bServer));
    assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1);
    assert.equal(aServer.attributes['rpc.system'], 'micro');
    assert.equal(aServer.attributes['rpc.service'], 'a');
    assert.equal(aServer.attributes['rpc.method'], 'A.Front');
    assert.equal(aServer.attributes['micro.kind'], 'call');
    assert.equal(aServer.attributes['client.address'], '127.0.0.1');
    assert.equal(root.attributes['peer.service'], 'a');
    assert.equal(aServer.resource.attributes['service.instance.id'], 'a-node');
    assert.equal(aServer.status.code, SpanStatusCode.UNSET);
  });

  it('marks a 5xx an error with its message (no stack) and keeps a 4xx’s code only', async () => {
    exporter.reset();
    await assert.rejects(
      edge.service.client.call('a', 'A.Front', { fail: true }, { retries: 0 }),
      (e: MicroError) => e.code === 500,
    );
    const back = exporter
      .getFinishedSpans()
      .find((s) => s.name === 'b B.Back' && s.kind === SpanKind.SERVER)!;
    assert.equal(back.status.code, SpanStatusCode.ERROR);
    assert.equal(back.status.message, 'the back broke');
    assert.equal(back.attributes['micro.code'], 500);
    const exception = back.events.find((e) => e.name === 'exception')!;
    assert.equal(exception.attributes?.['exception.message'], 'the back broke');
    assert.equal(exception.attributes?.['exception.stacktrace'], undefined);
    assert.equal(spanNamed(exporter, 'a A.Front').status.code, SpanStatusCode.ERROR);

    exporter.reset();
    await assert.rejects(edge.service.client.call('a', 'A.Nope', {}, { retries: 0 }));
    const nope = exporter
      .getFinishedSpans()
      .find((s) => s.name === 'a A.Nope' && s.kind === SpanKind.SERVER)!;
    assert.equal(nope.attributes['micro.code'], 404);
    assert.equal(nope.status.code, SpanStatusCode.UNSET);
  });

  it('spans a stream from its opening to its last message', async () => {
    exporter.reset();
    const s = await edge.service.client.stream('b', 'B.Count');
    s.send({});
    s.end();
    const got: unknown[] = [];
    for await (const m of s) got.push(m);
    assert.deepEqual(got, [1, 2]);
    const spans = exporter.getFinishedSpans().filter((x) => x.name === 'b B.Count');
    const client = spans.find((x) => x.kind === SpanKind.CLIENT)!;
    const server = spans.find((x) => x.kind === SpanKind.SERVER)!;
    assert.ok(isChildOf(server, client));
    assert.equal(server.attributes['micro.kind'], 'stream');
  });

  it('makes a publish and its delivery one trace: producer, then consumer', async () => {
    exporter.reset();
    const got = new Promise<void>((resolve) => (delivered = resolve));
    await edge.service.client.publish('ticks', { n: 1 });
    await got;
    // The consumer span ends once the subscriber has returned.
    for (
      let i = 0;
      i < 100 && !exporter.getFinishedSpans().some((s) => s.name === 'ticks process');
      i++
    )
      await new Promise((r) => setImmediate(r));
    const producer = spanNamed(exporter, 'publish ticks');
    const consumer = spanNamed(exporter, 'ticks process');
    assert.equal(producer.kind, SpanKind.PRODUCER);
    assert.equal(consumer.kind, SpanKind.CONSUMER);
    assert.ok(isChildOf(consumer, producer));
    assert.equal(producer.attributes['messaging.destination.name'], 'ticks');
    assert.equal(consumer.resource.attributes['service.name'], 'b');
  });

  it('honours a caller’s traceparent and ignores hostile ones', async () => {
    const post = (traceparent: string) =>
      fetch(`http://${b.service.server.address}/`, {
        method: 'POST',
        headers: {
          'micro-endpoint': 'B.Back',
          'content-type': 'application/json',
          traceparent,
          tracestate: 'x'.repeat(5000),
        },
        body: '{}',
      });
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    exporter.reset();
    assert.equal((await post(`00-${trace}-00f067aa0ba902b7-01`)).status, 200);
    const honoured = spanNamed(exporter, 'b B.Back');
    assert.equal(honoured.spanContext().traceId, trace);
    assert.equal(honoured.parentSpanContext?.spanId, '00f067aa0ba902b7');
    for (const hostile of [
      `00-${trace}-00f067aa0ba902b7-01${'-x'.repeat(3000)}`,
      `00-${trace.toUpperCase()}-00f067aa0ba902b7-01`,
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${trace}-${'0'.repeat(16)}-01`,
      `00-zz${trace.slice(2)}-00f067aa0ba902b7-01`,
      `ff-${trace}-00f067aa0ba902b7-01`,
      '',
    ]) {
      exporter.reset();
      assert.equal((await post(hostile)).status, 200, hostile.slice(0, 60));
      const span = spanNamed(exporter, 'b B.Back');
      assert.equal(span.parentSpanContext, undefined, hostile.slice(0, 60));
      assert.notEqual(span.spanContext().traceId, trace);
    }
  });
});
