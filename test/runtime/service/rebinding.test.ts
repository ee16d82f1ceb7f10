import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane/index.ts';
import { quiet } from '../../helpers/fixtures.ts';
import { isErrorBody, rawExchange, rawRequest } from '../../helpers/raw-http.ts';

// The attack: a web page on attacker.example whose DNS name is re-pointed at 127.0.0.1 is
// same-origin with the control plane's ports and POSTs Micro-* headers to Runtime.Create.
describe('a web page against the control plane (DNS rebinding, cross-site requests)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'micro-rebind-'));
  let cp: ControlPlane;
  let runtimePort = 0;
  let registryPort = 0;

  before(async () => {
    // The supervisor's command is never run: no Create gets through.
    cp = await startControlPlane({
      address: '127.0.0.1:0',
      dataDir,
      logger: quiet,
      supervise: { command: process.execPath, args: ['-e', 'process.exit(1)'] },
    });
    const runtime = cp.listening().find(([name]) => name === 'runtime');
    assert.ok(runtime, 'the runtime service runs');
    runtimePort = Number(runtime[1].split(':').pop());
    registryPort = Number(cp.address.split(':').pop());
  });
  after(async () => {
    await cp.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const create = (port: number, headers: Record<string, string>): string =>
    rawRequest(port, {
      headers: { 'micro-service': 'runtime', 'micro-endpoint': 'Runtime.Create', ...headers },
      body: JSON.stringify({ name: 'pwned', path: join(dataDir, 'missing.ts') }),
    });

  it('refuses Runtime.Create from a rebound name with 421, and from another site with 403', async () => {
    const rebound = await rawExchange(
      runtimePort,
      [
        create(runtimePort, {
          host: `attacker.example:${runtimePort}`,
          origin: `http://attacker.example:${runtimePort}`,
        }),
      ],
      { untilResponse: true },
    );
    assert.equal(rebound.status, 421);
    assert.ok(isErrorBody(rebound.body, 421), rebound.body);
    const crossSite = await rawExchange(
      runtimePort,
      [create(runtimePort, { origin: 'http://attacker.example', 'content-type': 'text/plain' })],
      { untilResponse: true },
    );
    assert.equal(crossSite.status, 403);
    assert.ok(isErrorBody(crossSite.body, 403), crossSite.body);
  });

  it('refuses the registry from a rebound name too', async () => {
    const res = await rawExchange(
      registryPort,
      [
        rawRequest(registryPort, {
          headers: {
            host: `attacker.example:${registryPort}`,
            'micro-endpoint': 'Registry.ListServices',
          },
          body: '{}',
        }),
      ],
      { untilResponse: true },
    );
    assert.equal(res.status, 421);
  });

  it('still serves a program (no Origin, a loopback Host)', async () => {
    // A request without a path fails Runtime.Create's schema: the runtime's own 400 shows the
    // call got through, and nothing is started.
    const res = await rawExchange(
      runtimePort,
      [
        rawRequest(runtimePort, {
          headers: { 'micro-service': 'runtime', 'micro-endpoint': 'Runtime.Create' },
          body: '{"name":"ok"}',
        }),
      ],
      { untilResponse: true },
    );
    assert.equal(res.status, 400, res.body);
    assert.equal((JSON.parse(res.body) as { id: string }).id, 'runtime');
    const list = await rawExchange(
      registryPort,
      [
        rawRequest(registryPort, {
          headers: { host: `localhost:${registryPort}`, 'micro-endpoint': 'Registry.ListServices' },
          body: '{}',
        }),
      ],
      { untilResponse: true },
    );
    assert.equal(list.status, 200, list.body);
  });
});
