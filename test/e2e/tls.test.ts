import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type MicroError } from '../../src/runtime/index.ts';
import { bin, micro } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

const greeterDir = fileURLToPath(new URL('../../examples/greeter', import.meta.url));

/** Runs curl, resolving with its exit code and output (curl exits 60 when it cannot verify a peer). */
const curl = (args: string[]): Promise<{ code: number; stdout: string }> =>
  new Promise((resolve) =>
    execFile('curl', ['-sS', '--max-time', '10', ...args], (err, stdout) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
    ),
  );

describe('micro run --mtls', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'micro-tls-e2e-'));
  after(async () => {
    await stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives services certificates from its CA: the CLI, the gateway over HTTPS and curl --cacert reach them, a client without a certificate does not', async () => {
    const registry = `127.0.0.1:${await freePort()}`;
    const api = `127.0.0.1:${await freePort()}`;
    const plane = startNode(bin, [
      '--data-dir',
      dataDir,
      'run',
      '--mtls',
      '--registry-address',
      registry,
      '--api-address',
      api,
      '--web-address',
      `127.0.0.1:${await freePort()}`,
    ]);
    await plane.waitFor(/Press Ctrl-C/, 30_000);
    assert.ok(plane.lines.some((l) => /tls\s+on \(mutual\); CA .*ca\.crt/.test(l)));
    assert.ok(plane.lines.some((l) => l.includes(`api        https://${api}`)));
    const flags = ['--data-dir', dataDir, '--registry-address', registry];

    const deployed = await micro([...flags, 'run', '-d', greeterDir, '--name', 'greeter']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const called = await micro([...flags, 'call', 'greeter', 'Say.Hello', '{"name":"Ann"}']);
    assert.equal(called.code, 0, called.stderr);
    assert.match(called.stdout, /Hello Ann/);

    // micro tls ca prints what curl --cacert takes.
    const printed = await micro(['--data-dir', dataDir, 'tls', 'ca']);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /-----BEGIN CERTIFICATE-----/);
    const caFile = join(dataDir, 'printed-ca.pem');
    writeFileSync(caFile, printed.stdout);
    const url = `https://${api}/greeter/say/hello`;
    const trusted = await curl(['--cacert', caFile, url, '-d', '{"name":"Bob"}']);
    assert.equal(trusted.code, 0);
    assert.deepEqual(JSON.parse(trusted.stdout), { msg: 'Hello Bob' });
    assert.equal((await curl([url, '-d', '{}'])).code, 60, 'curl trusts no unknown CA');

    // The gateway with fetch (undici) trusting the CA.
    const dispatcher = new Agent({ connect: { ca: printed.stdout } });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Cy"}',
      dispatcher,
    });
    assert.deepEqual(await res.json(), { msg: 'Hello Cy' });
    await dispatcher.close();

    // Straight to the service with the CA but no certificate: mutual TLS refuses it.
    const anonymous = createClient({
      registry: createMicroRegistry({ address: registry }),
      tls: { ca: printed.stdout },
    });
    await assert.rejects(
      anonymous.call('greeter', 'Say.Hello', { name: 'Eve' }, { retries: 0, timeout: 10_000 }),
      (e: MicroError) => e.code >= 500 && /certificate/i.test(e.detail),
    );
    await anonymous.close();

    for (const key of ['ca.key', 'services/greeter.key', 'services/micro.key', 'services/cli.key'])
      assert.equal(statSync(join(dataDir, 'tls', key)).mode & 0o777, 0o600, key);
    await plane.stop('SIGINT');
  });
});
