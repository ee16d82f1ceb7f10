// Circuits as a user meets them in the metrics: a platform service whose calls to a failing
// service open that node's circuit shows it in Debug.Metrics and on GET /metrics
// (micro_circuit_state 2, micro_circuit_opened_total 1); and the opened counter never goes down
// when the selector forgets a node.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { registerCircuitMetrics } from '../../../src/platform/metrics/circuits.ts';
import type { NodeMetrics } from '../../../src/platform/metrics/metrics.ts';
import { createService, type PlatformService } from '../../../src/platform/service.ts';
import type { CircuitInfo, ResiliencyPolicy } from '../../../src/runtime/resilience/policy.ts';
import { createMemoryBroker, createMemoryRegistry } from '../../../src/runtime/index.ts';
import { quiet } from '../../helpers/fixtures.ts';
import { parseExposition, select } from '../../helpers/prometheus-text.ts';

describe('circuits in the metrics', () => {
  const registry = createMemoryRegistry();
  const broker = createMemoryBroker();
  const services: PlatformService[] = [];
  const make = (name: string, policy?: ResiliencyPolicy) => {
    const s = createService({
      name,
      version: '1.0.0',
      registry,
      broker,
      address: '127.0.0.1:0',
      handleSignals: false,
      logger: quiet,
      ...(policy && { policy }),
    });
    services.push(s);
    return s;
  };
  let caller: PlatformService;
  let flaky: PlatformService;

  before(async () => {
    flaky = make('flaky');
    flaky.handle('Flaky', {
      Call: () => {
        throw new Error('always fails');
      },
    });
    await flaky.start();
    caller = make('caller', {
      targets: { flaky: { retries: 0, breaker: { failures: 2, openFor: 60_000 } } },
    });
    await caller.start();
  });
  after(async () => {
    for (const s of services.reverse()) await s.stop();
  });

  it("shows an open circuit in the caller's Debug.Metrics and on its GET /metrics", async () => {
    for (let i = 0; i < 3; i++)
      await assert.rejects(
        caller.client.call('flaky', 'Flaky.Call', {}),
        (err: { code?: number }) => [500, 503].includes(err.code ?? 0),
      );
    const node = flaky.server.id;
    const m = await caller.client.call<NodeMetrics>('caller', 'Debug.Metrics', {});
    const c = m.circuits?.find((x) => x.node === node);
    assert.ok(c, JSON.stringify(m.circuits));
    assert.deepEqual([c.service, c.state, c.opened], ['flaky', 'open', 1]);
    assert.ok(c.failures >= 2 && c.openedAt !== undefined && c.retryAt! > c.openedAt);
    const res = await fetch(`http://${caller.server.address}/metrics`);
    const e = parseExposition(await res.text());
    assert.equal(select(e, 'micro_circuit_state', { target: 'flaky', node })[0]?.value, 2);
    assert.equal(select(e, 'micro_circuit_opened_total', { target: 'flaky' })[0]?.value, 1);
    assert.equal(e.types.get('micro_circuit_state'), 'gauge');
    assert.equal(e.types.get('micro_circuit_opened_total'), 'counter');
    // The service called has only the closed circuit of this very call (asked through its own
    // client: the caller's circuit to it is open).
    const own = await flaky.client.call<NodeMetrics>('flaky', 'Debug.Metrics', {});
    assert.deepEqual(
      own.circuits?.map((x) => [x.service, x.state]),
      [['flaky', 'closed']],
    );
  });
});

describe('micro_circuit_opened_total', () => {
  const circuit = (node: string, opened: number, state: CircuitInfo['state']): CircuitInfo => ({
    service: 'back',
    node,
    address: '127.0.0.1:1',
    state,
    failures: 0,
    opened,
  });

  it('keeps counting the opens of nodes the selector forgot, and of a breaker made anew', async () => {
    let now: CircuitInfo[] = [circuit('a', 2, 'open'), circuit('b', 1, 'half-open')];
    const register = new Registry();
    registerCircuitMetrics(register, () => now);
    const read = async () => parseExposition(await register.metrics());
    let e = await read();
    assert.equal(select(e, 'micro_circuit_opened_total', { target: 'back' })[0]?.value, 3);
    assert.deepEqual(
      select(e, 'micro_circuit_state', { target: 'back' }).map((s) => [s.labels.node, s.value]),
      [
        ['a', 2],
        ['b', 1],
      ],
    );
    // b forgotten, a's breaker made anew (fewer opens than before), c new.
    now = [circuit('a', 1, 'closed'), circuit('c', 4, 'open')];
    e = await read();
    assert.equal(
      select(e, 'micro_circuit_opened_total', { target: 'back' })[0]?.value,
      2 + 1 + 1 + 4,
    );
    assert.deepEqual(
      select(e, 'micro_circuit_state', { target: 'back' }).map((s) => [s.labels.node, s.value]),
      [
        ['a', 0],
        ['c', 2],
      ],
    );
  });
});
