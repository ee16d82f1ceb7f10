// The sidecar's app registration: at once when the app is up, and as soon as it comes up when the
// sidecar started first, not a health-check interval later.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { registerApp } from '../../src/proxy/sidecar/app.ts';
import { createMemoryRegistry } from '../../src/runtime/index.ts';
import { closedAddress } from '../helpers/cli.ts';
import { quiet } from '../helpers/fixtures.ts';

const INTERVAL = 30_000;

describe("the sidecar's app registration", () => {
  it('registers a healthy app before it returns, and one that comes up late at once', async () => {
    const registry = createMemoryRegistry();
    const address = await closedAddress();
    const app = {
      name: 'late',
      address,
      healthcheckUrl: `http://${address}/health`,
      interval: INTERVAL,
    };
    const logged: string[] = [];
    const logger = { ...quiet, info: (m: string) => logged.push(m) };
    const registration = await registerApp(registry, app, logger);
    const server = createServer((_req, res) => res.end('ok'));
    try {
      assert.equal(registration.healthy, false, 'nothing listens yet');
      assert.match(logged.join('\n'), /not healthy yet/);
      const watch = registry.watch({ service: 'late' });
      const [host, port] = address.split(':');
      server.listen(Number(port), host);
      await once(server, 'listening');
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        (async () => {
          for await (const ev of watch) if (ev.action === 'create') return;
        })(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('not registered in time')), INTERVAL / 10);
        }),
      ]).finally(() => clearTimeout(timer));
      const took = Date.now() - started;
      assert.ok(took < INTERVAL / 10, `registered ${took} ms after the app came up`);
      assert.equal((await registry.getService('late'))[0]?.nodes.length, 1);

      // An app that is up when the sidecar starts is in the registry when registerApp returns.
      const up = await registerApp(registry, { ...app, name: 'up' }, quiet);
      assert.equal(up.healthy, true);
      assert.equal((await registry.getService('up'))[0]?.nodes[0]?.metadata.sidecar, 'true');
      await up.stop();
    } finally {
      await registration.stop();
      server.close();
      await registry.close();
    }
  });
});
