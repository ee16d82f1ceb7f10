// A service with web pages on its own port: requests that are no call go to its web handler
// (Host checked, Origin left to the app), calls keep every check, and the service registers as a
// web app. A transport with no port refuses a web handler.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createMemoryRegistry,
  createMemoryTransport,
  type Service,
} from '../../../src/runtime/index.ts';
import { greeterService, quietService } from '../../helpers/fixtures.ts';
import { rawExchange, rawRequest } from '../../helpers/raw-http.ts';
import { startedForTests } from '../../helpers/lifecycle.ts';

describe('a service with web pages', () => {
  const registry = createMemoryRegistry();
  const service = startedForTests(async (): Promise<Service> => {
    const s = greeterService(registry, {
      name: 'site',
      web: (req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`page ${req.method ?? ''} ${req.url ?? ''}`);
      },
    });
    await s.start();
    return s;
  });

  it('answers pages and calls on one port, and registers as a web app', async () => {
    const base = `http://${service().server.address}`;
    const page = await fetch(`${base}/docs?x=1`);
    assert.equal(await page.text(), 'page GET /docs?x=1');
    const call = await fetch(base, {
      method: 'POST',
      headers: { 'micro-endpoint': 'Say.Hello', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ann' }),
    });
    assert.deepEqual(await call.json(), { msg: 'Hello Ann' });
    const [record] = await registry.getService('site');
    assert.equal(record?.metadata.handler, 'web');
  });

  it('lets a page post from its own origin, still refuses calls from web pages and foreign Hosts', async () => {
    const address = service().server.address;
    const origin = { origin: 'http://127.0.0.1:8082' };
    const form = await fetch(`http://${address}/form`, {
      method: 'POST',
      headers: origin,
      body: 'a=1',
    });
    assert.equal(await form.text(), 'page POST /form');
    const call = await fetch(`http://${address}/`, {
      method: 'POST',
      headers: { ...origin, 'micro-endpoint': 'Say.Hello', 'content-type': 'application/json' },
      body: '{"name":"Ann"}',
    });
    assert.equal(call.status, 403);
    const port = Number(address.split(':')[1]);
    const foreign = await rawExchange(port, [
      rawRequest(port, { method: 'GET', path: '/docs', headers: { host: 'evil.example' } }),
    ]);
    assert.equal(foreign.status, 421, 'a page of another site, its DNS name pointed here');
  });

  it('is refused by a transport with no port', async () => {
    const s = quietService({
      name: 'nowhere',
      registry: createMemoryRegistry(),
      transport: createMemoryTransport(),
      web: () => undefined,
    });
    await assert.rejects(s.start(), /a web handler needs a port/);
  });
});
