// Health, stats and doctor reach each node over the transport it names: an app behind the sidecar
// speaks only HTTP, and has no Debug.* endpoints of its own.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { healthOf } from '../../src/commands/health.ts';
import { probeNodes } from '../../src/commands/shared/probe.ts';
import { registerApp, type AppRegistration } from '../../src/proxy/sidecar/app.ts';
import { createClient, createMemoryRegistry, type Client } from '../../src/runtime/index.ts';
import { checkHealth } from '../../src/ui/web/health.ts';
import { closedAddress } from '../helpers/cli.ts';
import { quiet } from '../helpers/fixtures.ts';

/** An app that answers only the HTTP form of the protocol, as examples/greeter-python does. */
async function httpOnlyApp(): Promise<Server> {
  const server = createServer((req, res) => {
    const endpoint = req.headers['micro-endpoint'];
    const [code, body] =
      req.url === '/health'
        ? [200, { status: 'ok' }]
        : endpoint === 'Say.Hello'
          ? [200, { msg: 'Hello' }]
          : [
              404,
              {
                id: 'greeter-py',
                code: 404,
                detail: `unknown endpoint ${String(endpoint)}`,
                status: 'Not Found',
              },
            ];
    req.resume();
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('probing nodes registered by the sidecar', () => {
  const registry = createMemoryRegistry();
  // The client's own transport is tcp, the default: the app is reached over HTTP all the same.
  let client: Client;
  let app: Server;
  let registration: AppRegistration;
  let dead: AppRegistration;

  before(async () => {
    client = createClient({ registry });
    app = await httpOnlyApp();
    const address = `127.0.0.1:${(app.address() as AddressInfo).port}`;
    registration = await registerApp(registry, { name: 'greeter-py', address }, quiet);
    // Registered by a sidecar whose app has since gone: still a failure to report.
    dead = await registerApp(registry, { name: 'gone-py', address: await closedAddress() }, quiet);
  });
  after(async () => {
    await registration.stop();
    await dead.stop();
    await client.close();
    app.close();
    await registry.close();
  });

  it('reports a healthy app behind the sidecar as ok (health and doctor)', async () => {
    const probes = await probeNodes<{ status?: string }>(
      client,
      await registry.getService('greeter-py'),
      'Debug.Health',
      2000,
    );
    assert.equal(probes.length, 1);
    assert.equal(probes[0]?.error, undefined, JSON.stringify(probes[0]?.error));
    assert.equal(healthOf(probes[0]!).status, 'ok');
  });

  it('reports Debug.Stats of such an app as missing, not as a failure (stats)', async () => {
    const [p] = await probeNodes(
      client,
      await registry.getService('greeter-py'),
      'Debug.Stats',
      2000,
    );
    assert.equal(p?.error, undefined, JSON.stringify(p?.error));
    assert.equal(p?.unsupported, true);
  });

  it('still reports an app that does not answer as failed', async () => {
    const [p] = await probeNodes<{ status?: string }>(
      client,
      await registry.getService('gone-py'),
      'Debug.Health',
      2000,
    );
    assert.equal(p && healthOf(p).status, 'failed');
    assert.ok((p?.error?.code ?? 0) >= 500, 'a connection failure');
    assert.doesNotMatch(p?.error?.detail ?? '', /frame of/);
  });

  it("shows the same on the dashboard's health page", async () => {
    const rows = await checkHealth(
      client,
      [...(await registry.getService('greeter-py')), ...(await registry.getService('gone-py'))],
      2000,
    );
    assert.deepEqual(
      rows.map((r) => [r.service, r.status]),
      [
        ['greeter-py', 'ok'],
        ['gone-py', 'failed'],
      ],
    );
  });
});
