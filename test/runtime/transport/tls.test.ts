import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createHttpTransport, createTcpTransport } from '../../../src/runtime/transport/index.ts';
import { createClient, createMemoryRegistry, type MicroError } from '../../../src/runtime/index.ts';
import { runTransportCases } from '../../conformance/transport.case.ts';
import { quietService } from '../../helpers/fixtures.ts';

// A self-signed certificate for 127.0.0.1, made with Debian's openssl for this run only.
const dir = mkdtempSync(join(tmpdir(), 'micro-tls-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ],
  { stdio: 'ignore' },
);
const key = readFileSync(join(dir, 'key.pem'));
const cert = readFileSync(join(dir, 'cert.pem'));
after(() => rmSync(dir, { recursive: true, force: true }));

runTransportCases(
  'tcp over TLS',
  () => createTcpTransport({ tls: { ca: cert } }),
  () => ({ tls: { key, cert } }),
);
runTransportCases(
  'http over TLS (https and wss)',
  () => createHttpTransport({ tls: { ca: cert } }),
  () => ({ tls: { key, cert } }),
);

describe('a service with TLS', () => {
  it('answers callers that trust its certificate and refuses those that do not', async () => {
    const registry = createMemoryRegistry();
    const service = quietService({
      name: 'secure',
      registry,
      tls: { key, cert },
      transport: createTcpTransport({ tls: { ca: cert } }),
    });
    service.handle('Say', {
      async Hello(req: { name: string }) {
        return { msg: `Hello ${req.name}` };
      },
    });
    await service.start();
    const trusting = createClient({
      registry,
      transport: createTcpTransport({ tls: { ca: cert } }),
    });
    assert.deepEqual(await trusting.call('secure', 'Say.Hello', { name: 'Ann' }), {
      msg: 'Hello Ann',
    });
    const doubting = createClient({ registry, transport: createTcpTransport({ tls: {} }) });
    await assert.rejects(
      doubting.call('secure', 'Say.Hello', { name: 'Eve' }, { retries: 0 }),
      (e: MicroError) => e.code === 503 || e.code === 502,
    );
    const plain = createClient({ registry });
    await assert.rejects(
      plain.call('secure', 'Say.Hello', { name: 'Eve' }, { retries: 0, timeout: 2000 }),
    );
    await Promise.all([trusting.close(), doubting.close(), plain.close()]);
    await service.stop();
    await registry.close();
  });
});
