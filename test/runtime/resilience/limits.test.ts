import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBulkheads } from '../../../src/runtime/client/bulkheads.ts';
import { RequestContext } from '../../../src/runtime/context.ts';
import { MicroError, replyError, withRetryAfter } from '../../../src/runtime/errors.ts';
import { Bulkhead, Bulkheads } from '../../../src/runtime/resilience/bulkhead.ts';
import { createRateLimiter } from '../../../src/runtime/resilience/rate-limit.ts';
import {
  callerKey,
  checkCallerLimits,
  createCallerLimiter,
  limitsFromEnv,
} from '../../../src/runtime/server/limits.ts';

const ctx = (remote: string, metadata: Record<string, string> = {}): RequestContext =>
  new RequestContext('svc', 'A.B', metadata, Number.POSITIVE_INFINITY, remote, undefined);

describe('the bulkhead', () => {
  it('admits maxInFlight, queues maxQueue first come first served, refuses the rest', async () => {
    const b = new Bulkhead({ maxInFlight: 2, maxQueue: 2, queueTimeout: 60_000 });
    assert.equal(b.enter(), true);
    assert.equal(b.enter(), true);
    const first = b.enter();
    const second = b.enter();
    assert.ok(first instanceof Promise && second instanceof Promise);
    assert.equal(b.enter(), 'full');
    assert.deepEqual([b.inFlight, b.queued], [2, 2]);
    const order: string[] = [];
    void first.then(() => order.push('first'));
    void second.then(() => order.push('second'));
    b.leave();
    assert.equal(await first, true);
    assert.deepEqual(order, ['first']);
    b.leave();
    assert.equal(await second, true);
    assert.deepEqual([b.inFlight, b.queued], [2, 0]);
    b.leave();
    b.leave();
    assert.ok(b.idle);
  });

  it('gives up a wait after queueTimeout, or at the deadline when that comes first', async () => {
    const b = new Bulkhead({ maxInFlight: 1, maxQueue: 5, queueTimeout: 20 });
    assert.equal(b.enter(), true);
    assert.equal(await b.enter(), 'timeout');
    const b2 = new Bulkhead({ maxInFlight: 1, maxQueue: 5, queueTimeout: 60_000 });
    assert.equal(b2.enter(), true);
    assert.equal(await b2.enter(Date.now() + 20), 'deadline');
    assert.equal(b2.enter(Date.now() - 1), 'deadline', 'no time left: no wait');
    assert.equal(b2.queued, 0);
  });

  it('forgets the bulkhead of a key once idle', () => {
    const heads = new Bulkheads();
    const size = { maxInFlight: 1, maxQueue: 0, queueTimeout: 0 };
    for (let i = 0; i < 1000; i++) {
      assert.equal(heads.get(`k${i}`, size).enter(), true);
      heads.leave(`k${i}`);
    }
    assert.equal(heads.size, 0);
  });
});

describe('the token bucket', () => {
  it('allows the burst, then one token per 1/rate s, and says how long to wait', () => {
    let now = 0;
    const r = createRateLimiter(2, 3, { now: () => now });
    assert.deepEqual([r.take('a'), r.take('a'), r.take('a')], [0, 0, 0]);
    assert.equal(r.take('a'), 0.5);
    assert.equal(r.take('b'), 0, 'another key has its own bucket');
    now = 500;
    assert.equal(r.take('a'), 0);
    assert.ok(r.take('a') > 0);
    r.close();
  });

  it('keeps at most maxKeys buckets', () => {
    const r = createRateLimiter(1, 1, { maxKeys: 2, now: () => 0 });
    assert.equal(r.take('a'), 0);
    assert.equal(r.take('b'), 0);
    assert.equal(r.take('c'), 0);
    assert.equal(r.take('a'), 0, "a's bucket was dropped for c's: it starts full again");
    r.close();
  });

  it('refuses a rate or burst that is not a positive number', () => {
    assert.throws(() => createRateLimiter(0), /rate must be a positive number/);
    assert.throws(() => createRateLimiter(1, 0.5), /burst must be a number >= 1/);
  });
});

describe('caller limits', () => {
  it('key callers by the guard, else micro-from-service, else the peer host', () => {
    const c = ctx('127.0.0.1:5000', { 'micro-from-service': 'orders' });
    assert.equal(callerKey(c), 'service orders');
    c.caller = { id: 'ann', type: 'user', roles: [], scopes: [], metadata: {} };
    assert.equal(callerKey(c), 'caller ann');
    assert.equal(callerKey(ctx('127.0.0.1:5000')), 'host 127.0.0.1');
    assert.equal(callerKey(ctx('[::1]:5000')), 'host ::1');
    assert.equal(callerKey(ctx('memory')), 'host memory');
  });

  it('read MICRO_LIMIT_*; unset is no limits, a bad value a TypeError naming it', () => {
    assert.equal(limitsFromEnv({}), undefined);
    assert.equal(limitsFromEnv({ MICRO_LIMIT_RATE: '' }), undefined);
    assert.deepEqual(
      limitsFromEnv({
        MICRO_LIMIT_INFLIGHT: '8',
        MICRO_LIMIT_QUEUE: '0',
        MICRO_LIMIT_RATE: '2.5',
        MICRO_LIMIT_BURST: '10',
      }),
      { maxInFlight: 8, maxQueue: 0, rate: 2.5, burst: 10 },
    );
    for (const [name, value] of [
      ['MICRO_LIMIT_INFLIGHT', '0'],
      ['MICRO_LIMIT_INFLIGHT', '1.5'],
      ['MICRO_LIMIT_QUEUE', '-1'],
      ['MICRO_LIMIT_RATE', '0'],
      ['MICRO_LIMIT_RATE', 'lots'],
      ['MICRO_LIMIT_BURST', 'Infinity'],
    ] as const)
      assert.throws(() => limitsFromEnv({ [name]: value }), new RegExp(`^TypeError: ${name}`));
    // A queue with no in-flight limit, a burst with no rate: they would limit nothing.
    assert.throws(
      () => limitsFromEnv({ MICRO_LIMIT_QUEUE: '5' }),
      /^TypeError: MICRO_LIMIT_QUEUE needs MICRO_LIMIT_INFLIGHT/,
    );
    assert.throws(
      () => limitsFromEnv({ MICRO_LIMIT_BURST: '5' }),
      /^TypeError: MICRO_LIMIT_BURST needs MICRO_LIMIT_RATE/,
    );
  });

  it('refuse bad limits given in code, and limit nothing when given none', () => {
    assert.throws(() => checkCallerLimits({ maxInFlight: 0 }), /limits\.maxInFlight/);
    assert.throws(() => checkCallerLimits({ rate: -1 }), /limits\.rate/);
    assert.throws(() => checkCallerLimits({ queueTimeout: Number.NaN }), /limits\.queueTimeout/);
    assert.equal(createCallerLimiter('svc', {}), undefined);
    assert.throws(
      () => createCallerLimiter('svc', { maxQueue: 3 }),
      /limits\.maxQueue needs limits\.maxInFlight/,
    );
  });
});

describe('client bulkheads', () => {
  it('leave a client without any bulkhead in its policy untouched', () => {
    const call = async () => ({
      body: 1,
      metadata: {},
      node: { id: '', address: '', metadata: {} },
    });
    assert.equal(createBulkheads(undefined).call(call), call);
    assert.equal(createBulkheads({ default: { retries: 1 } }).call(call), call);
  });

  it('refuse a bad bulkhead in the policy, naming it', () => {
    assert.throws(
      () => createBulkheads({ targets: { greeter: { bulkhead: { maxInFlight: 0 } } } }),
      /policy\.targets\.greeter\.bulkhead\.maxInFlight/,
    );
    assert.throws(
      () => createBulkheads({ default: { bulkhead: { perEndpoint: 2, maxQueue: -1 } } }),
      /policy\.default\.bulkhead \(perEndpoint\)\.maxQueue/,
    );
  });
});

describe('retry-after on the wire', () => {
  it('is read from a reply header of whole seconds, and junk is ignored', () => {
    const body = Buffer.from(JSON.stringify(new MicroError('svc', 429, 'slow down')));
    assert.equal(replyError({ header: { 'retry-after': '3' }, body }, 'x').retryAfter, 3);
    assert.equal(replyError({ header: {}, body }, 'x').retryAfter, undefined);
    for (const junk of ['-1', '1.5', 'Wed, 21 Oct 2015 07:28:00 GMT', '', '99999999999'])
      assert.equal(withRetryAfter(new MicroError('s', 429, 'd'), junk).retryAfter, undefined, junk);
    assert.equal(withRetryAfter(new MicroError('s', 429, 'd'), '0').retryAfter, 1);
  });
});
