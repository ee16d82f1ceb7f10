// The Metrics contract, run unchanged against the in-process scraper and the control plane's
// `metrics` service: nodes that answer Debug.Metrics with counts the test sets (plain HTTP
// servers registered as `http` nodes), rounds of scraping, and what Query makes of them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Registry } from '../../src/registry/registry.ts';
import type { CircuitInfo } from '../../src/runtime/resilience/policy.ts';
import {
  LATENCY_BUCKETS,
  type EndpointCounts,
  type Metrics,
  type NodeMetrics,
} from '../../src/platform/metrics/metrics.ts';

/** A node answering Debug.Metrics with the counts set on it. */
export class FakeNode {
  readonly id = randomUUID();
  readonly #server: Server;
  #counts = new Map<string, EndpointCounts>();
  /** What it answers instead, when set (a node answering nonsense). */
  raw: unknown;
  /** The circuits of its client it tells, when set. */
  circuits: unknown[] | undefined;
  #scrapes = 0;
  #waiting: { at: number; done: () => void }[] = [];
  address = '';
  readonly service: string;

  constructor(service: string) {
    this.service = service;
    this.#server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const endpoint = req.headers['micro-endpoint'];
        if (endpoint !== 'Debug.Metrics') {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ id: 'fake', code: 404, detail: 'no', status: 'Not Found' }));
          return;
        }
        const body: NodeMetrics = {
          service: this.service,
          version: '1.0.0',
          node: this.id,
          time: Date.now(),
          endpoints: [...this.#counts.values()],
          streams: 0,
          broker: { published: 0, delivered: 0 },
          ...(this.circuits && { circuits: this.circuits as CircuitInfo[] }),
        };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.raw ?? body));
        this.#scrapes++;
        this.#waiting = this.#waiting.filter((w) => (w.at <= this.#scrapes ? void w.done() : true));
      });
    });
  }

  /** Listens and registers in the registry. */
  async start(registry: Registry): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const at = this.#server.address();
    this.address = `127.0.0.1:${typeof at === 'object' && at ? at.port : 0}`;
    await registry.register(this.record(), { ttl: 60_000 });
    return this;
  }

  record() {
    return {
      name: this.service,
      version: '1.0.0',
      metadata: {},
      endpoints: [],
      nodes: [{ id: this.id, address: this.address, metadata: { transport: 'http' } }],
    };
  }

  /** Sets an endpoint's counts since the node started: `calls` requests of `seconds` each. */
  set(
    endpoint: string,
    calls: number,
    o: { errors?: number; seconds?: number; inflight?: number } = {},
  ): void {
    const seconds = o.seconds ?? 0.02;
    this.#counts.set(endpoint, {
      endpoint,
      kind: 'call',
      calls,
      errors: o.errors ?? 0,
      cancelled: 0,
      inflight: o.inflight ?? 0,
      buckets: [...LATENCY_BUCKETS.map((le) => (seconds <= le ? calls : 0)), calls],
      sum: calls * seconds,
    });
  }

  /** Resolves after n more Debug.Metrics answers. */
  scraped(n: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`node of ${this.service} not scraped ${n} more times within 10 s`)),
        10_000,
      );
      this.#waiting.push({
        at: this.#scrapes + n,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Deregisters and closes. */
  async stop(registry: Registry): Promise<void> {
    await registry.deregister(this.record()).catch(() => undefined);
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

/** An implementation as the suite uses it. */
export interface MetricsSetup {
  /** Where the nodes register. */
  registry: Registry;
  metrics: Metrics;
  /** Resolves once a round that started after the call, and scraped these nodes, finished. */
  round(nodes: FakeNode[]): Promise<void>;
  stop(): Promise<void>;
}

const codeOf = (code: number) => (err: unknown) => {
  assert.equal((err as { code?: unknown }).code, code, String(err));
  return true;
};

/** The metrics contract, run unchanged against every implementation. */
export function runMetricsCases(label: string, setup: () => Promise<MetricsSetup>): void {
  describe(`metrics contract: ${label}`, () => {
    let s: MetricsSetup;
    const nodes: FakeNode[] = [];
    const node = async (service: string) => {
      const n = await new FakeNode(service).start(s.registry);
      nodes.push(n);
      return n;
    };
    const named = () => `svc-${randomUUID().slice(0, 8)}`;
    before(async () => {
      s = await setup();
    });
    after(async () => {
      for (const n of nodes) await n.stop(s.registry);
      await s.stop();
    });

    it('sums the nodes of a service: calls, errors, rates, p50/p99 and points', async () => {
      const name = named();
      const [a, b] = [await node(name), await node(name)];
      a.set('S.Get', 0);
      b.set('S.Get', 0);
      await s.round([a, b]);
      a.set('S.Get', 10, { seconds: 0.02 });
      b.set('S.Get', 30, { errors: 2, seconds: 0.02, inflight: 3 });
      await s.round([a, b]);
      const report = await s.metrics.query({ service: name });
      assert.equal(report.endpoints.length, 1);
      const e = report.endpoints[0]!;
      assert.deepEqual(
        [e.service, e.endpoint, e.kind, e.calls, e.errors, e.inflight],
        [name, 'S.Get', 'call', 40, 2, 3],
      );
      assert.ok(e.rate > 0 && e.errorRate > 0 && e.errorRate < e.rate, JSON.stringify(e));
      // 40 requests of 20 ms, all in the 10-25 ms bucket: interpolated inside it.
      assert.equal(e.p50, 17.5);
      assert.equal(e.p99, 24.85);
      assert.ok(e.points.length >= 1);
      assert.ok(e.points.some((p) => p.rate > 0));
      for (const p of e.points) assert.ok(p.time <= report.time);
      assert.ok(report.step > 0 && report.window > 0);
    });

    it('names one service or every one', async () => {
      const [x, y] = [named(), named()];
      const [a, b] = [await node(x), await node(y)];
      a.set('X.Do', 1);
      b.set('Y.Do', 1);
      await s.round([a, b]);
      const one = await s.metrics.query({ service: x });
      assert.deepEqual(
        one.endpoints.map((e) => e.endpoint),
        ['X.Do'],
      );
      const all = await s.metrics.query();
      const names = new Set(all.endpoints.map((e) => e.service));
      assert.ok(names.has(x) && names.has(y));
    });

    it('counts a restarted node from 0, and keeps the calls of a node that left', async () => {
      const name = named();
      const [a, b] = [await node(name), await node(name)];
      a.set('R.Get', 100);
      b.set('R.Get', 0, { inflight: 2 });
      await s.round([a, b]);
      a.set('R.Get', 110);
      await s.round([a, b]);
      // a restarted: 5 since.
      a.set('R.Get', 5);
      await s.round([a, b]);
      assert.equal((await s.metrics.query({ service: name })).endpoints[0]?.calls, 15);
      assert.equal((await s.metrics.query({ service: name })).endpoints[0]?.inflight, 2);
      await b.stop(s.registry);
      nodes.splice(nodes.indexOf(b), 1);
      await s.round([a]);
      const e = (await s.metrics.query({ service: name })).endpoints[0];
      assert.deepEqual([e?.calls, e?.inflight], [15, 0]);
    });

    it('stores nothing of a node answering nonsense, and goes on with the others', async () => {
      const name = named();
      const [bad, good] = [await node(name), await node(name)];
      bad.raw = { endpoints: [{ endpoint: 'B.Bad', calls: -1, buckets: 'x' }, 'x', null] };
      good.set('G.Good', 0);
      await s.round([bad, good]);
      bad.raw = { endpoints: 'nope' };
      good.set('G.Good', 4);
      await s.round([bad, good]);
      const report = await s.metrics.query({ service: name });
      assert.deepEqual(
        report.endpoints.map((e) => [e.endpoint, e.calls]),
        [['G.Good', 4]],
      );
    });

    it('keeps the latest circuits per caller node, wholly formed ones only', async () => {
      const [caller, target] = [named(), named()];
      const [a, b] = [await node(caller), await node(caller)];
      const open: CircuitInfo = {
        service: target,
        node: 't-1',
        address: '127.0.0.1:1',
        state: 'open',
        failures: 5,
        openedAt: 1000,
        retryAt: 6000,
        opened: 1,
      };
      const closed: CircuitInfo = { ...open, node: 't-2', state: 'closed', failures: 0, opened: 0 };
      delete closed.openedAt;
      delete closed.retryAt;
      a.circuits = [open, closed, { ...open, state: 'ajar' }, { service: 1 }, 'x'];
      b.circuits = [{ ...closed, node: 't-3' }];
      await s.round([a, b]);
      const first = await s.metrics.query({ service: caller });
      const want = [
        { node: a.id, circuits: [open, closed] },
        { node: b.id, circuits: [{ ...closed, node: 't-3' }] },
      ].sort((x, y) => x.node.localeCompare(y.node));
      assert.deepEqual(
        first.circuits?.map((n) => ({ service: n.service, node: n.node, circuits: n.circuits })),
        want.map((w) => ({ service: caller, ...w })),
      );
      // The target named: the circuits to it, of every caller.
      const to = await s.metrics.query({ service: target });
      assert.equal(to.circuits?.flatMap((n) => n.circuits).length, 3);
      // The latest list replaces the last; a node telling none is forgotten.
      a.circuits = [{ ...open, state: 'half-open' }];
      b.circuits = undefined;
      await s.round([a, b]);
      const later = await s.metrics.query({ service: caller });
      assert.deepEqual(
        later.circuits?.map((n) => [n.node, n.circuits.map((c) => c.state)]),
        [[a.id, ['half-open']]],
      );
      a.circuits = undefined;
    });

    it('refuses a bad query with a 400', async () => {
      await assert.rejects(s.metrics.query({ window: 10 }), codeOf(400));
      await assert.rejects(s.metrics.query({ window: 'x' as never }), codeOf(400));
      await assert.rejects(s.metrics.query({ service: 7 as never }), codeOf(400));
      await assert.rejects(s.metrics.query({ nope: 1 } as never), codeOf(400));
      await assert.rejects(s.metrics.query({ window: 1e12 }), codeOf(400));
    });
  });
}
