import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroError } from '../../../src/runtime/errors.ts';
import {
  BREAKER_DEFAULTS,
  Breaker,
  outcome,
  resolveBreaker,
  type ResolvedBreakerOptions,
} from '../../../src/runtime/resilience/breaker.ts';

/** A breaker on a clock the test moves. */
const make = (o: Partial<ResolvedBreakerOptions> = {}): { b: Breaker; clock: { t: number } } => {
  const clock = { t: 1_000_000 };
  return { b: new Breaker({ ...BREAKER_DEFAULTS, ...o }, () => clock.t), clock };
};
const call = (b: Breaker, ok: boolean | undefined): void => {
  b.begin();
  b.end(ok);
};

describe('circuit breaker', () => {
  it('opens after `failures` failures in a row, and a success in between starts the count again', () => {
    const { b } = make({ failures: 3, ratio: 0 });
    call(b, false);
    call(b, false);
    call(b, true);
    call(b, false);
    call(b, false);
    assert.equal(b.state, 'closed');
    assert.equal(b.failures, 2);
    call(b, false);
    assert.equal(b.state, 'open');
    assert.equal(b.admits(), false);
    assert.equal(b.opened, 1);
  });

  it('counts neither a cancelled call nor a 4xx answer as a failure', () => {
    const { b } = make({ failures: 2, ratio: 0 });
    call(b, false);
    call(b, outcome(new MicroError('micro.client', 499, 'cancelled')));
    call(b, outcome(new MicroError('greeter', 404, 'no such user')));
    call(b, outcome(new MicroError('greeter', 400, 'bad name')));
    assert.equal(b.state, 'closed');
    call(b, outcome(new MicroError('greeter', 500, 'boom')));
    call(b, outcome(new MicroError('greeter', 500, 'boom')));
    assert.equal(b.state, 'open');
  });

  it('judges errors by the contract: 5xx, the client 408 and transport faults fail', () => {
    assert.equal(outcome(), true);
    assert.equal(outcome(new MicroError('greeter', 500, 'x')), false);
    assert.equal(outcome(new MicroError('micro.client', 503, 'refused')), false);
    assert.equal(outcome(new MicroError('micro.client', 502, 'broke')), false);
    assert.equal(outcome(new MicroError('micro.client', 408, 'no answer')), false);
    assert.equal(outcome(new MicroError('greeter', 408, 'its own deadline')), true);
    assert.equal(outcome(new MicroError('greeter', 429, 'slow down')), true);
    assert.equal(outcome(new MicroError('micro.client', 499, 'cancelled')), undefined);
    assert.equal(outcome(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), false);
  });

  it('opens on the failure ratio over the window once minCalls calls were seen', () => {
    const { b } = make({ failures: 0, ratio: 0.5, minCalls: 10, window: 10_000 });
    for (let i = 0; i < 4; i++) {
      call(b, true);
      call(b, false);
    }
    assert.equal(b.state, 'closed', '8 calls: under minCalls');
    call(b, true);
    call(b, false);
    assert.equal(b.state, 'open', '5 of 10 failed');

    const quiet = make({ failures: 0, ratio: 0.5, minCalls: 4, window: 10_000 });
    call(quiet.b, false);
    call(quiet.b, false);
    quiet.clock.t += 11_000; // those two fell out of the window
    call(quiet.b, true);
    call(quiet.b, true);
    call(quiet.b, true);
    call(quiet.b, false);
    assert.equal(quiet.b.state, 'closed', '1 of 4 in the window');
    call(quiet.b, false);
    call(quiet.b, false);
    assert.equal(quiet.b.state, 'open', '3 of 6 in the window');
  });

  it('is half-open when its open period ends, letting `probes` calls through', () => {
    const { b, clock } = make({ failures: 1, ratio: 0, openFor: 1000, probes: 2 });
    call(b, false);
    clock.t += 999;
    assert.equal(b.admits(), false);
    clock.t += 1;
    assert.equal(b.state, 'half-open');
    assert.equal(b.admits(), true);
    b.begin();
    assert.equal(b.admits(), true);
    b.begin();
    assert.equal(b.admits(), false, 'both probe slots taken');
    b.end(undefined); // a cancelled probe frees its slot and says nothing
    assert.equal(b.state, 'half-open');
    assert.equal(b.admits(), true);
    b.end(true);
    assert.equal(b.state, 'closed');
    assert.equal(b.failures, 0);
  });

  it('reopens on a failed probe for twice as long, up to maxOpenFor, and starts over once closed', () => {
    const { b, clock } = make({ failures: 1, ratio: 0, openFor: 1000, maxOpenFor: 3000 });
    call(b, false);
    const periods: number[] = [];
    for (let i = 0; i < 3; i++) {
      clock.t = b.retryAt;
      assert.equal(b.admits(), true);
      call(b, false);
      periods.push(b.retryAt - clock.t);
    }
    assert.deepEqual(periods, [2000, 3000, 3000]);
    assert.equal(b.opened, 4);
    clock.t = b.retryAt;
    call(b, true);
    call(b, false);
    assert.equal(b.retryAt - clock.t, 1000, 'back to openFor after closing');
  });

  it('ignores the ends of calls begun before it opened', () => {
    const { b } = make({ failures: 1, ratio: 0 });
    b.begin();
    b.begin();
    b.end(false);
    assert.equal(b.state, 'open');
    b.end(true);
    assert.equal(b.state, 'open');
  });

  it('resolves options: later layers win field by field, false turns it off', () => {
    assert.deepEqual(resolveBreaker(), BREAKER_DEFAULTS);
    assert.equal(resolveBreaker({ failures: 3 }, false), false);
    assert.deepEqual(resolveBreaker(false, { openFor: 300 }), {
      ...BREAKER_DEFAULTS,
      openFor: 300,
    });
    assert.deepEqual(resolveBreaker({ failures: 3 }, { openFor: 300 }, undefined), {
      ...BREAKER_DEFAULTS,
      failures: 3,
      openFor: 300,
    });
    assert.throws(() => resolveBreaker({ ratio: 2 }), /breaker\.ratio must be between 0 and 1/);
    assert.throws(() => resolveBreaker({ probes: 0 }), /breaker\.probes/);
    assert.throws(() => resolveBreaker({ openFor: Number.NaN }), TypeError);
  });
});
