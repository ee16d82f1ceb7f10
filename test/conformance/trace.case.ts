import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { SpanRecord, Trace } from '../../src/platform/trace/trace.ts';
import type { TraceBounds } from '../../src/platform/trace/validate.ts';

/** Makes the Trace under test; `bounds` (keep, maxAge) when a case needs its own. */
export type MakeTrace = (bounds?: TraceBounds) => Trace | Promise<Trace>;

/** A name no other test uses. */
const fresh = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;
const traceId = (): string => randomBytes(16).toString('hex');
const spanId = (): string => randomBytes(8).toString('hex');

/** A span of `trace` with sensible defaults. */
function span(trace: string, over: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: trace,
    spanId: spanId(),
    name: 'greeter Say.Hello',
    kind: 'server',
    service: 'greeter',
    endpoint: 'Say.Hello',
    start: Date.now() - 60_000,
    duration: 5,
    status: 'unset',
    attributes: { 'rpc.system': 'micro' },
    ...over,
  };
}

/** Asserts that a promise fails with the error shape's code and a detail matching `detail`. */
async function refused(p: Promise<unknown>, code: number, detail: RegExp): Promise<void> {
  await assert.rejects(p, (e: { code?: unknown; detail?: unknown; id?: unknown }) => {
    assert.equal(e.code, code, String(e.detail));
    assert.match(String(e.detail), detail);
    assert.equal(e.id, 'trace');
    return true;
  });
}

/** Runs the trace contract against an implementation made by `make`. */
export function runTraceCases(label: string, make: MakeTrace): void {
  describe(`trace contract: ${label}`, () => {
    let trace: Trace;
    before(async () => {
      trace = await make();
    });
    after(async () => {
      await trace.close();
    });

    it('keeps spans and gives a trace back whole, in start order, as written', async () => {
      const id = traceId();
      const t0 = Date.now() - 60_000;
      const root = span(id, {
        service: fresh('api'),
        name: 'POST /greeter',
        kind: 'server',
        start: t0,
        duration: 30,
      });
      const call = span(id, {
        parentSpanId: root.spanId,
        service: root.service,
        kind: 'client',
        start: t0 + 2,
        duration: 20,
        status: 'error',
        code: 503,
        message: 'no node could take the call',
        attributes: { 'peer.service': 'greeter', retries: 2, cached: false },
        events: [{ time: t0 + 10, name: 'exception', attributes: { 'exception.message': 'boom' } }],
      });
      const served = span(id, { parentSpanId: call.spanId, start: t0 + 5, duration: 10 });
      await trace.write([served, call, root]);
      const got = await trace.get(id);
      assert.equal(got.traceId, id);
      assert.deepEqual(got.spans, [root, call, served]);
    });

    it('lists a trace by its root with totals, and filters by service, endpoint, status, duration and time', async () => {
      const service = fresh('svc');
      const endpoint = fresh('Ep') + '.Call';
      const t0 = Date.now() - 120_000;
      const fast = traceId();
      const slow = traceId();
      const failed = traceId();
      const rootOfFast = span(fast, { service, endpoint, start: t0, duration: 4 });
      await trace.write([
        rootOfFast,
        span(fast, {
          parentSpanId: rootOfFast.spanId,
          service: 'store',
          endpoint: 'Store.Get',
          start: t0 + 1,
          duration: 5,
        }),
        span(slow, { service, name: 'slow one', start: t0 + 1000, duration: 900 }),
        span(failed, {
          service,
          endpoint,
          start: t0 + 2000,
          duration: 50,
          status: 'error',
          code: 500,
        }),
      ]);
      const all = await trace.list({ service });
      assert.deepEqual(
        all.map((t) => t.traceId),
        [failed, slow, fast],
        'newest first',
      );
      assert.deepEqual(all[2], {
        traceId: fast,
        service,
        name: 'greeter Say.Hello',
        endpoint,
        start: t0,
        duration: 6,
        spans: 2,
        errors: 0,
        services: [service, 'store'].sort(),
      });
      assert.equal(all[0]!.errors, 1);
      const ids = async (q: Parameters<Trace['list']>[0]) =>
        (await trace.list({ service, ...q })).map((t) => t.traceId);
      assert.deepEqual(await ids({ endpoint }), [failed, fast]);
      assert.deepEqual(
        await ids({ endpoint: 'Store.Get' }),
        [fast],
        'any span of the endpoint counts',
      );
      assert.deepEqual(await ids({ status: 'error' }), [failed]);
      assert.deepEqual(await ids({ status: 'ok' }), [slow, fast]);
      assert.deepEqual(await ids({ minDuration: 50 }), [failed, slow]);
      assert.deepEqual(await ids({ maxDuration: 50 }), [failed, fast]);
      assert.deepEqual(await ids({ since: t0 + 1000 }), [failed, slow]);
      assert.deepEqual(await ids({ until: t0 + 1000 }), [fast]);
      assert.deepEqual(await ids({ limit: 1 }), [failed]);
      assert.deepEqual(await ids({ status: 'ok', endpoint, until: t0 + 1 }), [fast]);
      assert.deepEqual(await trace.list({ service: fresh('nobody') }), []);
    });

    it('summarises a trace whose root is not kept by its earliest span', async () => {
      const id = traceId();
      const service = fresh('orphan');
      const t0 = Date.now() - 60_000;
      await trace.write([
        span(id, { service, parentSpanId: spanId(), name: 'later', start: t0 + 5 }),
        span(id, { service, parentSpanId: spanId(), name: 'earliest', start: t0 }),
      ]);
      const [t] = await trace.list({ service });
      assert.equal(t?.name, 'earliest');
      assert.equal(t?.spans, 2);
    });

    it('replaces a span written again with the same ids', async () => {
      const id = traceId();
      const service = fresh('again');
      const first = span(id, { service, status: 'unset', name: 'first' });
      await trace.write([first]);
      const again = { ...first, name: 'second', status: 'error' as const, code: 500 };
      await trace.write([again]);
      assert.deepEqual((await trace.get(id)).spans, [again]);
      const [t] = await trace.list({ service });
      assert.equal(t?.spans, 1);
      assert.equal(t?.errors, 1);
      assert.equal(t?.name, 'second');
    });

    it('answers 404 for a trace it does not keep, 400 for an id that is not one', async () => {
      await refused(trace.get(traceId()), 404, /no trace/);
      await refused(trace.get('nope'), 400, /32 lower-case hex/);
      await refused(trace.get('0'.repeat(32)), 400, /not all zero/);
    });

    it('maps which services call which over the window, with rates, errors and percentiles', async () => {
      const caller = fresh('caller');
      const callee = fresh('callee');
      const other = fresh('other');
      const topic = fresh('orders');
      const now = Date.now();
      const spans: SpanRecord[] = [];
      // 10 calls named by peer.service, 2 of them failed, durations 1..10 ms.
      for (let i = 1; i <= 10; i++) {
        const id = traceId();
        spans.push(
          span(id, {
            service: caller,
            kind: 'client',
            start: now - 60_000 + i,
            duration: i,
            status: i <= 2 ? 'error' : 'unset',
            attributes: { 'peer.service': callee },
          }),
        );
      }
      // A call whose callee is known only by its child server span.
      const id = traceId();
      const call = span(id, {
        service: callee,
        kind: 'client',
        start: now - 30_000,
        duration: 7,
        attributes: {},
      });
      spans.push(
        call,
        span(id, {
          service: other,
          kind: 'server',
          parentSpanId: call.spanId,
          start: now - 29_999,
        }),
      );
      // A publish.
      spans.push(
        span(traceId(), {
          service: caller,
          kind: 'producer',
          name: `publish ${topic}`,
          start: now - 20_000,
          attributes: { 'messaging.destination.name': topic },
        }),
      );
      // Outside the window: not counted.
      spans.push(
        span(traceId(), {
          service: caller,
          kind: 'client',
          start: now - 20 * 60_000,
          attributes: { 'peer.service': callee },
        }),
      );
      await trace.write(spans);

      const map = await trace.map({ since: now - 15 * 60_000, until: now });
      assert.equal(map.until - map.since, 15 * 60_000);
      const edge = (from: string, to: string) =>
        map.edges.find((e) => e.from === from && e.to === to);
      const e = edge(caller, callee);
      assert.ok(e, `no edge ${caller} -> ${callee} in ${JSON.stringify(map.edges)}`);
      assert.equal(e.calls, 10);
      assert.equal(e.errors, 2);
      assert.ok(Math.abs(e.rate - 10 / 900) < 1e-9, `rate ${e.rate}`);
      assert.ok(Math.abs(e.errorRate - 2 / 900) < 1e-9, `errorRate ${e.errorRate}`);
      assert.equal(e.p50, 5);
      assert.equal(e.p99, 10);
      assert.equal(edge(callee, other)?.calls, 1);
      assert.equal(edge(caller, `topic:${topic}`)?.calls, 1);
      for (const s of [caller, callee, other])
        assert.ok(map.services.includes(s), `${s} in services`);
      assert.ok(!map.services.includes(`topic:${topic}`));
      assert.deepEqual(map.services, [...map.services].sort());

      const earlier = await trace.map({ since: now - 25 * 60_000, until: now - 15 * 60_000 });
      assert.equal(earlier.edges.find((x) => x.from === caller && x.to === callee)?.calls, 1);
      const recent = await trace.map();
      assert.ok(recent.until - recent.since === 15 * 60_000, 'the default window is 15 minutes');
      await refused(trace.map({ since: now, until: now - 1 }), 400, /before until/);
    });

    it('cuts long values and drops attributes and events past their counts', async () => {
      const id = traceId();
      const attributes: Record<string, string> = { long: 'x'.repeat(5000) };
      for (let i = 0; i < 99; i++) attributes[`a${i}`] = 'v';
      const events = Array.from({ length: 40 }, (_, i) => ({
        time: Date.now() - 1000,
        name: `e${i}`,
      }));
      await trace.write([
        span(id, { service: fresh('long'), attributes, events, message: 'm'.repeat(3000) }),
      ]);
      const [got] = (await trace.get(id)).spans;
      assert.equal(Object.keys(got!.attributes).length, 64);
      assert.equal((got!.attributes.long as string).length, 1000);
      assert.equal(got!.events?.length, 32);
      assert.equal(got!.message?.length, 1000);
    });

    it('refuses hostile batches whole with a 400 naming what is wrong, storing nothing', async () => {
      const id = traceId();
      const good = span(id, { service: fresh('hostile') });
      const cases: [unknown, RegExp][] = [
        [{ ...span(id), traceId: 'XYZ' }, /traceId must be 32 lower-case hex/],
        [
          { ...span(id), spanId: '0'.repeat(16) },
          /spanId must be 16 lower-case hex digits, not all zero/,
        ],
        [{ ...span(id), parentSpanId: 12 }, /parentSpanId must be 16/],
        [{ ...span(id), kind: 'sideways' }, /kind must be one of/],
        [{ ...span(id), status: 'meh' }, /status must be one of/],
        [{ ...span(id), start: -1 }, /start must be a number of ms/],
        [{ ...span(id), attributes: { huge: 'x'.repeat(70_000) } }, /over 65536/],
        [
          {
            ...span(id),
            attributes: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
          },
          /2000 attributes, over 1024/,
        ],
        [
          { ...span(id), attributes: { nested: { a: 1 } } },
          /must be a string, a finite number or a boolean/,
        ],
        [{ ...span(id), surprise: true }, /surprise is not a field/],
        ['a span', /must be an object/],
      ];
      for (const [bad, detail] of cases)
        await refused(trace.write([good, bad as SpanRecord]), 400, detail);
      const many = Array.from({ length: 10_001 }, () => span(id));
      await refused(trace.write(many), 400, /10001 spans, over 10000/);
      await refused(trace.write('spans' as never), 400, /must be an array/);
      await refused(trace.get(id), 404, /no trace/);
      await refused(trace.list({ limit: 501 }), 400, /limit must be a whole number from 1 to 500/);
      await refused(trace.list({ status: 'maybe' as 'ok' }), 400, /status must be ok or error/);
    });

    it('keeps at most `keep` spans, the oldest dropped first', async () => {
      const small = await make({ keep: 100 });
      try {
        const service = fresh('bounded');
        const t0 = Date.now() - 60_000;
        const ids: string[] = [];
        for (let batch = 0; batch < 3; batch++) {
          const spans: SpanRecord[] = [];
          for (let i = 0; i < 50; i++) {
            const n = batch * 50 + i;
            const id = traceId();
            ids.push(id);
            spans.push(span(id, { service, start: t0 + n }));
          }
          await small.write(spans);
        }
        const kept = await small.list({ service, limit: 500 });
        assert.equal(kept.length, 100);
        assert.deepEqual(
          kept.map((t) => t.traceId),
          ids.slice(50).reverse(),
        );
        await refused(small.get(ids[49]!), 404, /no trace/);
        assert.equal((await small.get(ids[50]!)).spans.length, 1);
      } finally {
        await small.close();
      }
    });

    it('keeps no span older than `maxAge`', async () => {
      const young = await make({ maxAge: 60_000 });
      try {
        const service = fresh('aged');
        const old = traceId();
        const recent = traceId();
        await young.write([
          span(old, { service, start: Date.now() - 5 * 60_000 }),
          span(recent, { service, start: Date.now() - 1000 }),
        ]);
        assert.deepEqual(
          (await young.list({ service })).map((t) => t.traceId),
          [recent],
        );
        await refused(young.get(old), 404, /no trace/);
      } finally {
        await young.close();
      }
    });
  });
}
