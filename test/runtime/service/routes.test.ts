// Extra HTTP routes on a service's port (`GET /metrics`): served by exact path to requests that are
// no call, refused to web pages (foreign Origin) and foreign Hosts like calls, ahead of a web
// handler, without making the service a web app; ignored by a transport with no port.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createMemoryRegistry,
  createMemoryTransport,
  type Service,
  type WebHandler,
} from '../../../src/runtime/index.ts';
import { greeterService, quietService } from '../../helpers/fixtures.ts';
import { rawExchange, rawRequest } from '../../helpers/raw-http.ts';
import { startedForTests } from '../../helpers/lifecycle.ts';

const answer =
  (text: string): WebHandler =>
  (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${text} ${req.method ?? ''} ${req.url ?? ''}`);
  };

describe('extra HTTP routes on a service port', () => {
  const registry = createMemoryRegistry();
  const plain = startedForTests(async (): Promise<Service> => {
    const s = greeterService(registry, {
      name: 'plain',
      routes: { '/metrics': answer('metrics') },
    });
    await s.start();
    return s;
  });
  const site = startedForTests(async (): Promise<Service> => {
    const s = greeterService(registry, {
      name: 'site',
      web: answer('page'),
      routes: { '/metrics': answer('metrics') },
    });
    await s.start();
    return s;
  });

  it('serves the route by exact path, keeps calls, and is no web app', async () => {
    const base = `http://${plain().server.address}`;
    const res = await fetch(`${base}/metrics?x=1`);
    assert.equal(await res.text(), 'metrics GET /metrics?x=1');
    const other = await fetch(`${base}/metrics/more`);
    assert.equal(other.status, 405, 'any other path is not a route');
    const call = await fetch(base, {
      method: 'POST',
      headers: { 'micro-endpoint': 'Say.Hello', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ann' }),
    });
    assert.deepEqual(await call.json(), { msg: 'Hello Ann' });
    const [record] = await registry.getService('plain');
    assert.equal(record?.metadata.handler, undefined);
  });

  it('refuses a web page (foreign Origin) and a foreign Host', async () => {
    const address = plain().server.address;
    const read = await fetch(`http://${address}/metrics`, {
      headers: { origin: 'http://127.0.0.1:8082' },
    });
    assert.equal(read.status, 403);
    assert.match(await read.text(), /requests from web pages are refused/);
    const post = await fetch(`http://${address}/metrics`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: 'x',
    });
    assert.equal(post.status, 403);
    const port = Number(address.split(':')[1]);
    const foreign = await rawExchange(port, [
      rawRequest(port, { method: 'GET', path: '/metrics', headers: { host: 'evil.example' } }),
    ]);
    assert.equal(foreign.status, 421);
  });

  it('comes before the web handler, which keeps every other path', async () => {
    const base = `http://${site().server.address}`;
    assert.equal(await (await fetch(`${base}/metrics`)).text(), 'metrics GET /metrics');
    assert.equal(await (await fetch(`${base}/docs`)).text(), 'page GET /docs');
    const refused = await fetch(`${base}/metrics`, { headers: { origin: 'https://evil.example' } });
    assert.equal(refused.status, 403, 'the route keeps the Origin check the web app does not have');
  });

  it('is ignored by a transport with no port', async () => {
    const s = quietService({
      name: 'nowhere',
      registry: createMemoryRegistry(),
      transport: createMemoryTransport(),
      routes: { '/metrics': answer('metrics') },
    });
    await s.start();
    await s.stop();
  });
});
