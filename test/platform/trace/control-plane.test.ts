import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createService, type PlatformService } from '../../../src/platform/service.ts';
import { createMicroTrace } from '../../../src/platform/trace/client.ts';
import type { SpanRecord, Trace } from '../../../src/platform/trace/trace.ts';
import { createGateway, type Gateway } from '../../../src/proxy/index.ts';
import { createClient, type Client, type Context } from '../../../src/runtime/index.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import { quiet } from '../../helpers/fixtures.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER = 'b7ad6b7169203331';

describe('one trace in the control plane: gateway -> a -> b, and a publish to b', () => {
  let cp: TestControlPlane;
  let registry: ReturnType<typeof createMicroRegistry>;
  let client: Client;
  let store: Trace;
  let gateway: Gateway;
  const services: PlatformService[] = [];
  const saved = { ...process.env };
  let got: () => void = () => undefined;

  before(async () => {
    cp = await startTestControlPlane('micro-trace-core-');
    // Spans are sent every 50 ms, so that the test reads them soon after.
    Object.assign(process.env, { OTEL_BSP_SCHEDULE_DELAY: '50' });
    delete process.env.MICRO_TRACE;
    delete process.env.MICRO_TRACE_SAMPLE;
    registry = createMicroRegistry({ address: cp.address });
    const make = (name: string): PlatformService => {
      const s = createService({ name, registry, logger: quiet, handleSignals: false });
      services.push(s);
      return s;
    };
    const a = make('a');
    a.handle('A', {
      async Front(_req: unknown, ctx: Context) {
        await ctx.publish('ticks', { n: 1 });
        return ctx.call('b', 'B.Back', {});
      },
    });
    const b = make('b');
    b.handle('B', { Back: async () => ({ ok: true }) });
    b.subscribe('ticks', () => got());
    for (const s of services) await s.start();
    gateway = await createGateway({ address: '127.0.0.1:0', registry, log: false });
    client = createClient({ registry });
    store = createMicroTrace({ client });
  });
  after(async () => {
    await gateway.close();
    for (const s of services) await s.stop();
    await client.close();
    await registry.close();
    await cp.stop();
    for (const k of ['OTEL_BSP_SCHEDULE_DELAY']) delete process.env[k];
    Object.assign(process.env, saved);
  });

  /** The trace's spans once every name wanted is among them (bounded: about 10 s). */
  async function spansOf(wanted: string[]): Promise<SpanRecord[]> {
    let spans: SpanRecord[] = [];
    for (let i = 0; i < 200; i++) {
      spans = await store.get(TRACE).then(
        (d) => d.spans,
        () => [],
      );
      if (wanted.every((w) => spans.some((s) => `${s.service} ${s.name}` === w))) return spans;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`missing spans; got ${spans.map((s) => `${s.service} ${s.name}`).join(', ')}`);
  }

  it('keeps every span of the request under the caller’s trace, each with its parent', async () => {
    const delivered = new Promise<void>((resolve) => (got = resolve));
    const res = await fetch(`http://${gateway.address}/a/a/front`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE}-${CALLER}-01` },
      body: '{}',
    });
    assert.equal(res.status, 200);
    await delivered;
    const spans = await spansOf([
      'api POST /a/a/front',
      'api a A.Front',
      'a a A.Front',
      'a publish ticks',
      'a b B.Back',
      'b b B.Back',
      'b ticks process',
    ]);
    const by = (service: string, name: string, kind: string): SpanRecord => {
      const s = spans.find((x) => x.service === service && x.name === name && x.kind === kind);
      assert.ok(s, `${service} ${kind} ${name}`);
      return s;
    };
    const root = by('api', 'POST /a/a/front', 'server');
    const chain = [
      root,
      by('api', 'a A.Front', 'client'),
      by('a', 'a A.Front', 'server'),
      by('a', 'b B.Back', 'client'),
      by('b', 'b B.Back', 'server'),
    ];
    assert.equal(root.parentSpanId, CALLER);
    for (let i = 1; i < chain.length; i++)
      assert.equal(chain[i]!.parentSpanId, chain[i - 1]!.spanId, chain[i]!.name);
    const producer = by('a', 'publish ticks', 'producer');
    assert.equal(producer.parentSpanId, chain[2]!.spanId);
    assert.equal(by('b', 'ticks process', 'consumer').parentSpanId, producer.spanId);
    // The trace service keeps no span of its own intake.
    assert.ok(!spans.some((s) => s.service === 'trace' || s.name.includes('Trace.Export')));
  });
});
