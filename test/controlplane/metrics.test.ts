// The control plane's port as Prometheus sees it: `GET /metrics` with the registry's size and
// watchers, `GET /prometheus/sd` listing every node with a port (its own services included) in
// http_sd's shape, both refused to a web page; each of its services has its own /metrics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { SdTarget } from '../../src/platform/metrics/sd.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';
import { greeterService } from '../helpers/fixtures.ts';
import { parseExposition, select } from '../helpers/prometheus-text.ts';
import type { Registry, Service } from '../../src/runtime/index.ts';

describe('the control plane for Prometheus', () => {
  let cp: TestControlPlane;
  let registry: Registry;
  let greeter: Service;

  before(async () => {
    cp = await startTestControlPlane('micro-cp-metrics-');
    registry = createMicroRegistry({ address: cp.address });
    greeter = greeterService(registry);
    await greeter.start();
  });
  after(async () => {
    await greeter.stop();
    await registry.close();
    await cp.stop();
  });

  it('lists every node with a port for http_sd, its own services included', async () => {
    const res = await fetch(`http://${cp.address}/prometheus/sd`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const targets = (await res.json()) as SdTarget[];
    const of = (name: string) => targets.filter((t) => t.labels.service === name);
    assert.deepEqual(of('greeter'), [
      {
        targets: [greeter.server.address],
        labels: { service: 'greeter', version: '1.0.0', node: greeter.server.id },
      },
    ]);
    assert.deepEqual(of('registry')[0]?.targets, [cp.address]);
    for (const name of ['store', 'config', 'events']) {
      assert.deepEqual(of(name)[0]?.targets, [cp.services[name]], name);
    }
  });

  it("serves the registry's size and watchers on the port's /metrics", async () => {
    const watcher = registry.watch({});
    await registry.listServices(); // a read waits for the watch to be in place
    const res = await fetch(`http://${cp.address}/metrics`);
    assert.equal(res.status, 200);
    const e = parseExposition(await res.text());
    const one = (name: string) => select(e, name)[0]?.value ?? -1;
    const names = Object.keys(cp.services).length + 1; // its own services and the greeter
    assert.equal(one('micro_registry_services'), names);
    assert.equal(one('micro_registry_nodes'), names);
    assert.ok(one('micro_registry_watchers') >= 1, 'the watch open');
    assert.ok(one('micro_controlplane_db_bytes') > 0);
    assert.ok(
      select(e, 'micro_requests_total', { service: 'registry', endpoint: 'Registry.Register' })
        .length > 0,
      "the registry service's own requests",
    );
    watcher.stop();
  });

  it('gives each of its services its own /metrics', async () => {
    const res = await fetch(`http://${cp.services.store}/metrics`);
    assert.equal(res.status, 200);
    assert.ok(parseExposition(await res.text()).types.has('micro_requests_total'));
  });

  it('refuses a web page', async () => {
    for (const path of ['/metrics', '/prometheus/sd']) {
      const res = await fetch(`http://${cp.address}${path}`, {
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(res.status, 403, path);
    }
  });
});
