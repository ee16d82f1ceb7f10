// The gateway's `GET /metrics` shows the circuits of its client: requests to a service whose only
// node fails every call open that node's circuit (the default breaker), and micro_circuit_state
// says so with micro_circuit_opened_total.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGateway } from '../../src/proxy/gateway.ts';
import type { Gateway } from '../../src/proxy/proxy.ts';
import { createMemoryRegistry, createService, type Service } from '../../src/runtime/index.ts';
import { closeAll, quiet } from '../helpers/fixtures.ts';
import { parseExposition, select } from '../helpers/prometheus-text.ts';

describe('the gateway /metrics: circuits', () => {
  const registry = createMemoryRegistry();
  let flaky: Service;
  let gateway: Gateway;

  before(async () => {
    flaky = createService({
      name: 'flaky',
      registry,
      address: '127.0.0.1:0',
      handleSignals: false,
      logger: quiet,
    });
    flaky.handle('Flaky', {
      Call: () => {
        throw new Error('always fails');
      },
    });
    await flaky.start();
    gateway = await createGateway({ registry, address: '127.0.0.1:0', log: false });
  });
  after(() => closeAll(gateway, flaky));

  it('shows the open circuit of the failing node', async () => {
    const statuses = new Set<number>();
    // The default breaker opens after 5 failures in a row; then the gateway answers 503 itself.
    for (let i = 0; i < 20 && !statuses.has(503); i++) {
      const res = await fetch(`http://${gateway.address}/flaky/flaky/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      await res.arrayBuffer();
      statuses.add(res.status);
    }
    assert.deepEqual([...statuses].sort(), [500, 503]);
    const e = parseExposition(await (await fetch(`http://${gateway.address}/metrics`)).text());
    assert.equal(
      select(e, 'micro_circuit_state', { target: 'flaky', node: flaky.server.id })[0]?.value,
      2,
    );
    assert.equal(select(e, 'micro_circuit_opened_total', { target: 'flaky' })[0]?.value, 1);
  });
});
