// A platform service's metrics as a user meets them: `GET /metrics` on its own port counts its
// calls, streams and published events (names it does not serve as `other`), Debug.Metrics answers
// NodeMetrics, a web page (foreign Origin) or a foreign Host is refused, a user's own prom-client
// metric shows up, and MICRO_METRICS=off serves neither.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Counter } from 'prom-client';
import { createService, type PlatformService } from '../../../src/platform/service.ts';
import type { NodeMetrics } from '../../../src/platform/metrics/metrics.ts';
import { createMemoryBroker, createMemoryRegistry } from '../../../src/runtime/index.ts';
import { quiet, sayHello, streamHandlers, counted } from '../../helpers/fixtures.ts';
import { rawExchange, rawRequest } from '../../helpers/raw-http.ts';
import { parseExposition, select } from '../../helpers/prometheus-text.ts';

const registry = createMemoryRegistry();
const broker = createMemoryBroker();

function greeter(name: string): PlatformService {
  const s = createService({
    name,
    version: '1.0.0',
    registry,
    broker,
    address: '127.0.0.1:0',
    handleSignals: false,
    logger: quiet,
  });
  s.handle('Say', { Hello: sayHello(), ...streamHandlers() });
  return s;
}

const scrape = async (address: string) => {
  const res = await fetch(`http://${address}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
};

describe('a platform service with metrics on (the default)', () => {
  let service: PlatformService;
  let caller: PlatformService;
  let delivered: Promise<void>;

  before(async () => {
    service = greeter('greeter');
    delivered = new Promise((resolve) => service.subscribe('greetings', () => resolve()));
    await service.start();
    caller = greeter('caller');
    await caller.start();
  });
  after(async () => {
    await caller.stop();
    await service.stop();
  });

  it('counts calls, errors, streams and events on GET /metrics', async () => {
    for (const n of ['Ann', 'Bob', 'Cy'])
      await caller.client.call('greeter', 'Say.Hello', { name: n });
    await assert.rejects(caller.client.call('greeter', 'Say.Hello', { name: 7 }), { code: 400 });
    await assert.rejects(caller.client.call('greeter', 'Made.Up', {}), { code: 404 });
    assert.deepEqual(await counted(caller.client, 'greeter', 'Say.Count', 3), [0, 1, 2]);
    await caller.client.publish('greetings', { hi: 1 });
    await delivered;
    const e = await scrape(service.server.address);
    const hello = { service: 'greeter', endpoint: 'Say.Hello', kind: 'call' };
    assert.equal(select(e, 'micro_requests_total', { ...hello, code: '200' })[0]?.value, 3);
    assert.equal(select(e, 'micro_requests_total', { ...hello, code: '400' })[0]?.value, 1);
    assert.equal(select(e, 'micro_request_duration_seconds_count', hello)[0]?.value, 4);
    assert.equal(
      select(e, 'micro_requests_total', { endpoint: 'other', code: '404' })[0]?.value,
      1,
      'a name the service does not serve is no label',
    );
    assert.equal(
      select(e, 'micro_requests_total', { endpoint: 'Say.Count', kind: 'stream' })[0]?.value,
      1,
    );
    assert.equal(select(e, 'micro_broker_messages_total', { direction: 'delivered' })[0]?.value, 1);
    const out = await scrape(caller.server.address);
    assert.equal(
      select(out, 'micro_broker_messages_total', { direction: 'published' })[0]?.value,
      1,
    );
  });

  it('answers Debug.Metrics with the node figures', async () => {
    const m = await caller.client.call<NodeMetrics>('greeter', 'Debug.Metrics', {});
    assert.equal(m.service, 'greeter');
    assert.equal(m.version, '1.0.0');
    assert.equal(m.node, service.server.id);
    assert.ok(m.time > 0);
    const hello = m.endpoints.find((x) => x.endpoint === 'Say.Hello');
    assert.ok(hello);
    assert.equal(hello.kind, 'call');
    assert.ok(hello.calls >= 4);
    assert.equal(hello.buckets.length, 15);
    assert.equal(hello.buckets.at(-1), hello.calls);
    assert.equal(m.streams, 0);
    assert.equal(m.broker.delivered, 1);
    assert.ok(!m.endpoints.some((x) => x.endpoint.startsWith('Debug.')), 'probes are not counted');
  });

  it('refuses a web page and a foreign Host', async () => {
    const address = service.server.address;
    const page = await fetch(`http://${address}/metrics`, {
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(page.status, 403);
    const port = Number(address.split(':')[1]);
    const foreign = await rawExchange(port, [
      rawRequest(port, { method: 'GET', path: '/metrics', headers: { host: 'evil.example' } }),
    ]);
    assert.equal(foreign.status, 421);
    const post = await fetch(`http://${address}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
  });

  it("renders a user's own metric registered in service.metricsRegistry", async () => {
    const mine = new Counter({
      name: 'greeter_hellos_total',
      help: 'Hellos said.',
      registers: service.metricsRegistry ? [service.metricsRegistry] : [],
    });
    mine.inc(2);
    const e = await scrape(service.server.address);
    assert.equal(select(e, 'greeter_hellos_total')[0]?.value, 2);
  });
});

describe('a platform service with MICRO_METRICS=off', () => {
  it('serves neither /metrics nor Debug.Metrics', async () => {
    process.env.MICRO_METRICS = 'off';
    let s: PlatformService;
    try {
      s = greeter('dark');
    } finally {
      delete process.env.MICRO_METRICS;
    }
    await s.start();
    try {
      assert.equal(s.metricsRegistry, undefined);
      const res = await fetch(`http://${s.server.address}/metrics`);
      assert.equal(res.status, 405, 'no route: a GET that is no call');
      await assert.rejects(s.client.call('dark', 'Debug.Metrics', {}), { code: 404 });
      await s.client.call('dark', 'Say.Hello', { name: 'Ann' });
    } finally {
      await s.stop();
    }
  });

  it('refuses a value that is neither on nor off', () => {
    process.env.MICRO_METRICS = 'maybe';
    try {
      assert.throws(() => greeter('odd'), /MICRO_METRICS must be on or off/);
    } finally {
      delete process.env.MICRO_METRICS;
    }
  });
});
