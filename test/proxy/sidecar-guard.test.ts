// The sidecar against the attacks of issue 12: a web page on the same machine posting to it (DNS
// rebinding, cross-site forms and images), and calls to the control plane's own services, which
// could start a process from any file path. A real control plane with its runtime service.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Registry } from '../../src/runtime/index.ts';
import { errorOf, micro } from '../helpers/cli.ts';
import { record } from '../helpers/fixtures.ts';
import { requestAs } from '../helpers/raw-http.ts';
import { startSidecarBench, type SidecarBench } from './sidecar-fixture.ts';

/** Asserts an answer is the error shape with the given status. */
function assertError(res: { status: number; body: string }, status: number, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.body}`);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'id', 'status'], what);
  assert.equal(body.code, status, what);
}

const UPGRADE = {
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-version': '13',
};

describe('the sidecar against web pages and the control plane', () => {
  let bench: SidecarBench;
  let sidecar: SidecarBench['sidecar'];
  let registry: Registry;
  const processes = () => bench.processes();

  before(async () => {
    bench = await startSidecarBench({ controlPlane: true });
    ({ sidecar, registry } = bench);
  });
  after(() => bench.close());

  it('refuses a cross-site form, an Origin of null and a cross-site image: no process is started', async () => {
    const form = {
      method: 'POST',
      path: '/v1.0/invoke/runtime/method/Runtime.Create',
      body: 'name=evil&path=/tmp/evil.ts',
    };
    for (const origin of ['http://evil.example', 'null', `http://localhost:1`]) {
      const res = await requestAs(sidecar.address, {
        ...form,
        headers: {
          host: sidecar.address,
          origin,
          'content-type': 'application/x-www-form-urlencoded',
        },
      });
      assertError(res, 403, `Origin ${origin}`);
    }
    // An <img> or link sends no Origin, but browsers say the request is cross-site.
    const image = await requestAs(sidecar.address, {
      path: '/v1.0/invoke/greeter/method/Say.Hello',
      headers: { host: sidecar.address, 'sec-fetch-site': 'cross-site' },
    });
    assertError(image, 403, 'a cross-site image');
    assert.deepEqual(await processes(), []);
  });

  it("does not call, register or deregister the control plane's own services, on any route", async () => {
    const json = { 'content-type': 'application/json' };
    const create = { name: 'evil', path: '/tmp/evil.ts' };
    const attempts: [string, Parameters<typeof requestAs>[1]][] = [
      [
        '/rpc',
        {
          method: 'POST',
          path: '/rpc',
          headers: json,
          body: JSON.stringify({ service: 'runtime', endpoint: 'Runtime.Create', request: create }),
        },
      ],
      [
        '/rpc as a form',
        {
          method: 'POST',
          path: '/rpc',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `service=runtime&endpoint=Runtime.Create&request=${encodeURIComponent(JSON.stringify(create))}`,
        },
      ],
      [
        'Dapr invoke',
        {
          method: 'POST',
          path: '/v1.0/invoke/runtime/method/Runtime.Create',
          headers: json,
          body: JSON.stringify(create),
        },
      ],
      [
        '/[service]/[endpoint]',
        {
          method: 'POST',
          path: '/runtime/Runtime.Create',
          headers: json,
          body: JSON.stringify(create),
        },
      ],
      [
        'the registry service',
        {
          method: 'POST',
          path: '/registry/Registry.Deregister',
          headers: json,
          body: JSON.stringify({ service: { name: 'greeter' } }),
        },
      ],
      [
        'registering a node as runtime',
        {
          method: 'POST',
          path: '/registry',
          headers: json,
          body: JSON.stringify({ name: 'runtime', nodes: [{ id: 'x', address: '127.0.0.1:1' }] }),
        },
      ],
      [
        'deregistering the registry',
        {
          method: 'DELETE',
          path: '/registry',
          headers: json,
          body: JSON.stringify({ name: 'registry', nodes: [{ id: 'x', address: '127.0.0.1:1' }] }),
        },
      ],
    ];
    for (const [what, o] of attempts) assertError(await requestAs(sidecar.address, o), 403, what);
    assert.deepEqual(await processes(), []);
    assert.ok((await registry.getService('greeter')).length > 0, 'greeter is still registered');
    assert.equal((await registry.getService('runtime'))[0]?.nodes.length, 1, 'no node added');

    // Programs on this machine still register themselves, read the registry and call services.
    const base = `http://${sidecar.address}`;
    const ghost = { name: 'ghost', nodes: [{ id: 'g1', address: '127.0.0.1:1' }] };
    const added = await fetch(`${base}/registry?ttl=30`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(ghost),
    });
    assert.equal(added.status, 200);
    assert.equal((await fetch(`${base}/registry?service=runtime`)).status, 200);
    const hi = await fetch(`${base}/greeter/Say.Hello`, {
      method: 'POST',
      headers: json,
      body: '{"name":"Ann"}',
    });
    assert.deepEqual(await hi.json(), { msg: 'Hello Ann' });
    await registry.deregister(
      record('ghost', { version: 'latest', node: 'g1', address: '127.0.0.1:1' }),
    );
  });

  it('exposes them only when told to (deny: [])', async () => {
    const open = await bench.start({ deny: [] });
    try {
      const res = await fetch(`http://${open.address}/v1.0/invoke/runtime/method/Runtime.List`, {
        method: 'POST',
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { processes: [] });
    } finally {
      await open.close();
    }
  });

  it('answers only loopback Host names, on requests and on WebSocket upgrades', async () => {
    const port = sidecar.address.split(':')[1] ?? '';
    for (const host of [`evil.example:${port}`, `127.attacker.example:${port}`]) {
      const res = await requestAs(sidecar.address, {
        method: 'POST',
        path: '/greeter/Say.Hello',
        headers: { host, 'content-type': 'application/json' },
        body: '{"name":"x"}',
      });
      assertError(res, 421, host);
      const socket = await requestAs(sidecar.address, {
        path: '/broker?topic=t',
        headers: { ...UPGRADE, host },
      });
      assertError(socket, 421, `an upgrade for ${host}`);
    }
    const foreign = await requestAs(sidecar.address, {
      path: '/broker?topic=t',
      headers: { ...UPGRADE, host: sidecar.address, origin: 'http://evil.example' },
    });
    assertError(foreign, 403, 'an upgrade from a foreign page');
    const local = await requestAs(sidecar.address, {
      path: '/health',
      headers: { host: `localhost:${port}` },
    });
    assert.equal(local.status, 200);
    const socket = await requestAs(sidecar.address, {
      path: '/broker?topic=t',
      headers: { ...UPGRADE, host: sidecar.address },
    });
    assert.equal(socket.status, 101, 'a program still opens the broker socket');
  });

  it('serves pages from the origins it is given, with CORS', async () => {
    const cors = await bench.start({ cors: ['http://app.example'] });
    try {
      const preflight = await requestAs(cors.address, {
        method: 'OPTIONS',
        path: '/greeter/Say.Hello',
        headers: {
          host: cors.address,
          origin: 'http://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers['access-control-allow-origin'], 'http://app.example');
      const call = await requestAs(cors.address, {
        method: 'POST',
        path: '/greeter/Say.Hello',
        headers: {
          host: cors.address,
          origin: 'http://app.example',
          'content-type': 'application/json',
        },
        body: '{"name":"Page"}',
      });
      assert.equal(call.status, 200);
      assert.equal(call.headers['access-control-allow-origin'], 'http://app.example');
      assert.deepEqual(JSON.parse(call.body), { msg: 'Hello Page' });
      const other = await requestAs(cors.address, {
        method: 'POST',
        path: '/greeter/Say.Hello',
        headers: { host: cors.address, origin: 'http://evil.example' },
      });
      assertError(other, 403, 'an origin not on the list');
    } finally {
      await cors.close();
    }
  });

  it('will not listen beyond loopback without a token', async () => {
    await assert.rejects(
      bench.start({ address: '0.0.0.0:0' }),
      (err: Error & { code?: number }) => {
        assert.equal(err.code, 400);
        assert.match(err.message, /--sidecar-token/);
        return true;
      },
    );
    const run = await micro([
      'sidecar',
      '--sidecar-address',
      '0.0.0.0:8081',
      '--registry',
      'memory',
    ]);
    assert.equal(run.code, 1);
    assert.match(errorOf(run).detail, /0\.0\.0\.0.*without a token.*--sidecar-token/);
    assert.equal(run.stdout, '', 'it never listened');
  });
});
