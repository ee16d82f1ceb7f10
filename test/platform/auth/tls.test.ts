import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import {
  openCertificateAuthority,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../../../src/platform/auth/ca.ts';
import { clientTlsFromEnv, serverTlsFromEnv } from '../../../src/runtime/defaults.ts';
import {
  createClient,
  createMemoryRegistry,
  type MicroError,
  type Registry,
  type Service,
} from '../../../src/runtime/index.ts';
import type { ServerTlsOptions } from '../../../src/runtime/transport/transport.ts';
import { createGateway } from '../../../src/proxy/index.ts';
import { greeterService, quietService } from '../../helpers/fixtures.ts';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'micro-tls-ca-'));
  dirs.push(d);
  return d;
};
let ca: CertificateAuthority;
let other: CertificateAuthority;
let greeterCert: IssuedCertificate;
let callerCert: IssuedCertificate;
let strangerCert: IssuedCertificate;
const running: Service[] = [];

before(async () => {
  ca = await openCertificateAuthority(tmp());
  other = await openCertificateAuthority(tmp());
  greeterCert = await ca.issue('greeter');
  callerCert = await ca.issue('caller');
  strangerCert = await other.issue('caller');
});
after(async () => {
  for (const s of running) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A greeter serving TLS from the CA-issued files, configured as its environment would. */
async function greeter(registry: Registry, mutual = false): Promise<Service> {
  const tls = serverTlsFromEnv({
    MICRO_TLS_CERT: greeterCert.certPath,
    MICRO_TLS_KEY: greeterCert.keyPath,
    MICRO_TLS_CA: greeterCert.caPath,
    ...(mutual ? { MICRO_TLS_MUTUAL: 'on' } : {}),
  }) as ServerTlsOptions;
  const s = greeterService(registry, { tls });
  await s.start();
  running.push(s);
  return s;
}

const hello = (c: ReturnType<typeof createClient>, name: string) =>
  c.call('greeter', 'Say.Hello', { name }, { retries: 0, timeout: 10_000 });

describe('the CA in the data dir', () => {
  it('keeps its key and the keys it issues readable by their owner only, and stays the same CA', async () => {
    assert.equal(statSync(join(ca.dir, 'ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(greeterCert.keyPath).mode & 0o777, 0o600);
    assert.match(ca.cert, /^-----BEGIN CERTIFICATE-----/);
    const again = await openCertificateAuthority(join(ca.dir, '..'));
    assert.equal(again.cert, ca.cert);
  });

  it('refuses a service name or host that is no name, with a 400', async () => {
    await assert.rejects(ca.issue('../etc/passwd'), (e: MicroError) => e.code === 400);
    await assert.rejects(ca.issue('ok', ['not a host']), (e: MicroError) => e.code === 400);
  });
});

describe('TLS on the framed transport, from the environment', () => {
  it('answers a client trusting the CA, and says it serves TLS in the registry', async () => {
    const registry = createMemoryRegistry();
    const s = await greeter(registry);
    const [svc] = await registry.getService('greeter');
    assert.equal(svc?.nodes[0]?.metadata.tls, 'on');
    const client = createClient({
      registry,
      tls: clientTlsFromEnv({ MICRO_TLS_CA: callerCert.caPath }),
    });
    assert.deepEqual(await hello(client, 'Ann'), { msg: 'Hello Ann' });
    // HTTP on the same port is HTTPS now, verified against the same CA.
    const dispatcher = new Agent({ connect: { ca: ca.cert } });
    const res = await fetch(`https://${s.server.address}/`, {
      method: 'POST',
      dispatcher,
      headers: {
        'micro-service': 'greeter',
        'micro-endpoint': 'Say.Hello',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'Bob' }),
    });
    assert.deepEqual(await res.json(), { msg: 'Hello Bob' });
    await dispatcher.close();
    await client.close();
  });

  it('fails at once, naming TLS, for a client not trusting the CA, and refuses plain TCP', async () => {
    const registry = createMemoryRegistry();
    const s = await greeter(registry);
    const doubting = createClient({ registry, tls: {} });
    await assert.rejects(hello(doubting, 'Eve'), (e: MicroError) => {
      assert.equal(e.code, 503);
      assert.match(e.detail, /TLS handshake with 127\.0\.0\.1:\d+ failed: .*certificate/);
      return true;
    });
    // A client dialing the address as plain TCP (no node metadata): the port hangs up on it.
    const plain = createClient({ registry });
    await assert.rejects(
      plain.call(
        'greeter',
        'Say.Hello',
        { name: 'Eve' },
        { address: s.server.address, retries: 0, timeout: 10_000 },
      ),
      (e: MicroError) => e.code === 502 && /closed/.test(e.detail),
    );
    // And a plain HTTP request gets no answer but a closed connection.
    const raw = connect(Number(s.server.address.split(':')[1]), '127.0.0.1');
    raw.end('POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n');
    let got = '';
    raw.on('data', (c: Buffer) => (got += c.toString('latin1')));
    await new Promise((r) => raw.once('close', r));
    assert.doesNotMatch(got, /HTTP\/1\.1 200/);
    await Promise.all([doubting.close(), plain.close()]);
  });
});

describe('mutual TLS', () => {
  it('refuses a client without a certificate and one from another CA, and answers one from the CA', async () => {
    const registry = createMemoryRegistry();
    await greeter(registry, true);
    const anonymous = createClient({ registry, tls: { ca: ca.cert } });
    await assert.rejects(hello(anonymous, 'Eve'), (e: MicroError) => {
      assert.ok(e.code === 502 || e.code === 503, `${e.code} ${e.detail}`);
      assert.match(e.detail, /certificate/i);
      return true;
    });
    const stranger = createClient({
      registry,
      tls: { ca: ca.cert, cert: strangerCert.cert, key: strangerCert.key },
    });
    await assert.rejects(hello(stranger, 'Eve'), (e: MicroError) => {
      assert.ok(e.code === 502 || e.code === 503, `${e.code} ${e.detail}`);
      assert.match(e.detail, /TLS/);
      return true;
    });
    const member = createClient({
      registry,
      tls: clientTlsFromEnv({
        MICRO_TLS_CA: callerCert.caPath,
        MICRO_TLS_CERT: callerCert.certPath,
        MICRO_TLS_KEY: callerCert.keyPath,
      }),
    });
    assert.deepEqual(await hello(member, 'Ann'), { msg: 'Hello Ann' });
    await Promise.all([anonymous.close(), stranger.close(), member.close()]);
  });

  it('is refused at start-up without the CA to check clients against', () => {
    assert.throws(
      () =>
        serverTlsFromEnv({
          MICRO_TLS_CERT: greeterCert.certPath,
          MICRO_TLS_KEY: greeterCert.keyPath,
          MICRO_TLS_MUTUAL: 'on',
        }),
      /MICRO_TLS_CA/,
    );
  });
});

describe('the gateway over HTTPS', () => {
  it('serves callers trusting the CA, and reaches TLS services through the CA it trusts', async () => {
    const registry = createMemoryRegistry();
    await greeter(registry);
    const previous = process.env.MICRO_TLS_CA;
    // The gateway's client dials TLS nodes trusting MICRO_TLS_CA, as under micro run --tls.
    process.env.MICRO_TLS_CA = ca.certPath;
    const gateway = await createGateway({
      registry,
      address: '127.0.0.1:0',
      log: false,
      tls: { key: greeterCert.key, cert: greeterCert.cert },
    });
    // A web app on a TLS service port, which the gateway proxies over HTTPS.
    const site = quietService({
      name: 'site',
      registry,
      tls: { key: greeterCert.key, cert: greeterCert.cert },
      web: (req, res) => res.end(`page ${req.url ?? ''}`),
    });
    await site.start();
    running.push(site);
    const trusting = new Agent({ connect: { ca: ca.cert } });
    try {
      const page = await fetch(`https://${gateway.address}/site/about`, { dispatcher: trusting });
      assert.equal(await page.text(), 'page /about');
      const url = `https://${gateway.address}/greeter/say/hello`;
      const post = (dispatcher?: Agent) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"name":"Ann"}',
          dispatcher,
        });
      assert.deepEqual(await (await post(trusting)).json(), { msg: 'Hello Ann' });
      await assert.rejects(post(), (e: Error & { cause?: { code?: string } }) =>
        /CERT|SELF_SIGNED|UNABLE/.test(e.cause?.code ?? ''),
      );
      const plain = await fetch(`http://${gateway.address}/`, {
        signal: AbortSignal.timeout(10_000),
      }).catch((e: Error) => e);
      assert.ok(plain instanceof Error, 'plain HTTP to the HTTPS port gets no answer');
    } finally {
      if (previous === undefined) delete process.env.MICRO_TLS_CA;
      else process.env.MICRO_TLS_CA = previous;
      await trusting.close();
      await gateway.close();
    }
  });
});
