// Debian's Prometheus scraping a `micro run` with two services (each `micro run ./<dir>`) from one http_sd entry (the control
// plane's /prometheus/sd): both services' call rates come back from a PromQL query, and every
// node it lists, the control plane's own services included, is scraped up.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient } from '../../src/runtime/index.ts';
import { bin } from '../helpers/cli.ts';
import { scratchDir } from '../helpers/lifecycle.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll } from '../helpers/proc.ts';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.ts';

/** A service file as a user writes it: Say.Hello answering with the service's name. */
const serviceFile = (name: string): string => `
import { createService } from 'micro-ts';
const service = createService({ name: '${name}', version: '1.0.0' });
service.handle('Say', { Hello: async (req: { name: string }) => ({ msg: '${name} greets ' + req.name }) });
await service.run();
`;

describe('Prometheus scraping micro run through /prometheus/sd', () => {
  let prometheus: PrometheusServer | undefined;
  after(async () => {
    await prometheus?.stop();
    await stopAll();
  });

  it('answers a PromQL query for the call rate of both services', async () => {
    const dir = scratchDir('micro-prometheus-e2e-');
    const address = async (): Promise<string> => `127.0.0.1:${await freePort()}`;
    const [registry, web] = [await address(), await address()];
    const env = {
      MICRO_DATA_DIR: join(dir, 'data'),
      MICRO_CONFIG_DIR: join(dir, 'config'),
      MICRO_REGISTRY_ADDRESS: registry,
      MICRO_WEB_ADDRESS: web,
    };
    const plane = startNode(bin, ['run', '--no-api'], env);
    await plane.waitFor(/Press Ctrl-C/, 30_000);
    // Each service as a user runs one beside micro: `micro run ./alpha` in the foreground.
    const services = ['alpha', 'beta'].map((name) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'main.ts'), serviceFile(name));
      return startNode(bin, ['run', `./${name}`, '--no-watch'], env, { cwd: dir });
    });
    for (const s of services) await s.waitFor(/ listening on 127\.0\.0\.1:\d+/, 60_000);

    prometheus = await startPrometheus({ sdUrl: `http://${registry}/prometheus/sd` });
    const client = createClient({ registry: createMicroRegistry({ address: registry }) });
    const promql = 'sum by (service) (increase(micro_requests_total{endpoint="Say.Hello"}[15s]))';
    let rates = new Map<string, number>();
    try {
      // Calls go on while Prometheus scrapes each second; bounded at 40 s.
      const deadline = Date.now() + 40_000;
      while (!(rates.get('alpha')! > 0 && rates.get('beta')! > 0)) {
        assert.ok(
          Date.now() < deadline,
          `no rate for both within 40 s: ${JSON.stringify([...rates])}`,
        );
        for (const name of ['alpha', 'beta'])
          assert.deepEqual(await client.call(name, 'Say.Hello', { name: 'Ann' }), {
            msg: `${name} greets Ann`,
          });
        rates = new Map((await prometheus.query(promql)).map((s) => [s.metric.service!, s.value]));
        await new Promise((r) => setTimeout(r, 200)); // a pause between calls, not a wait for a result
      }
    } finally {
      await client.close();
    }
    const targets = await prometheus.targets();
    const scraped = new Set(targets.filter((t) => t.health === 'up').map((t) => t.labels.service));
    for (const name of ['alpha', 'beta', 'registry', 'store'])
      assert.ok(scraped.has(name), `${name} scraped up: ${JSON.stringify(targets)}`);
  });
});
