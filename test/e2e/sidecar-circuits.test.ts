// `micro sidecar` shows the circuits of its client on GET /metrics: calls through it to a service
// whose only node fails every call open that node's circuit (the default breaker), and
// micro_circuit_state says so, with micro_circuit_opened_total.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createService, type PlatformService } from '../../src/platform/service.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry } from '../../src/runtime/index.ts';
import { bin } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, quiet } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/net.ts';
import { parseExposition, select } from '../helpers/prometheus-text.ts';
import { startServerProcess, type RunningServer } from '../helpers/server-process.ts';

describe('micro sidecar /metrics: circuits', () => {
  let plane: RunningServer;
  let registry: Registry;
  let flaky: PlatformService;
  let sidecar: RunningServer;

  before(async () => {
    plane = await startTestControlPlane('micro-sidecar-circuits-');
    registry = createMicroRegistry({ address: plane.address });
    flaky = createService({ name: 'flaky', registry, handleSignals: false, logger: quiet });
    flaky.handle('Flaky', {
      Call: () => {
        throw new Error('always fails');
      },
    });
    await flaky.start();
    const address = `127.0.0.1:${await freePort()}`;
    sidecar = await startServerProcess({
      // MICRO_ROUTES=off: with the routing branch as merged, the sidecar's rule cache asks for its
      // client before the client is made and the process dies (reported); rules play no part here.
      command: 'env',
      args: [
        'MICRO_ROUTES=off',
        process.execPath,
        bin,
        'sidecar',
        '--sidecar-address',
        address,
        '--registry-address',
        plane.address,
      ],
      install: 'coreutils',
      address,
      ready: (output) => output.includes('sidecar listening on'),
    });
  });
  after(() => closeAll(sidecar, flaky, registry, plane));

  it('shows the open circuit of the failing node', async () => {
    const statuses = new Set<number>();
    // The default breaker opens after 5 failures in a row; then the sidecar answers 503 itself.
    for (let i = 0; i < 20 && !statuses.has(503); i++) {
      const res = await fetch(`http://${sidecar.address}/flaky/Flaky.Call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      await res.arrayBuffer();
      statuses.add(res.status);
    }
    assert.deepEqual([...statuses].sort(), [500, 503]);
    const e = parseExposition(await (await fetch(`http://${sidecar.address}/metrics`)).text());
    assert.equal(
      select(e, 'micro_circuit_state', { target: 'flaky', node: flaky.server.id })[0]?.value,
      2,
    );
    assert.equal(select(e, 'micro_circuit_opened_total', { target: 'flaky' })[0]?.value, 1);
  });
});
