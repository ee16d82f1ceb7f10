// The OAuth routes of the gateway and the sidecar over real sockets, used as an RFC 6749 client
// uses them (plain fetch: form bodies, HTTP Basic with form-encoded parts), the keys checked with
// jose's createRemoteJWKSet against the edge's own /.well-known/jwks.json, and every refusal in
// RFC 6749 5.2's shape. The Auth is the real in-memory one; the verifier polls it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Auth } from '../../src/platform/auth/auth.ts';
import { bootstrapAuth } from '../../src/platform/auth/bootstrap.ts';
import { createMemoryAuth } from '../../src/platform/auth/memory.ts';
import { createVerifier, type Verifier } from '../../src/platform/auth/verifier.ts';
import { createGateway, type Gateway } from '../../src/proxy/index.ts';
import type { Sidecar } from '../../src/proxy/sidecar/index.ts';
import { createMemoryRegistry, type Service } from '../../src/runtime/index.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { greeter } from './fixtures.ts';
import { startSidecarBench, type SidecarBench } from './sidecar-fixture.ts';

type Json = Record<string, unknown>;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const WORKER_SECRET = 'worker secret: with+symbols%&=';
const ADMIN_SECRET = 'admin-secret-0123456789';

/** HTTP Basic as RFC 6749 2.3.1 has clients send it: each part form-encoded, then base64. */
const basic = (id: string, secret: string): string => {
  const enc = (s: string) => new URLSearchParams({ s }).toString().slice(2);
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
};

describe('the OAuth routes of the gateway and the sidecar', () => {
  const registry = createMemoryRegistry();
  let auth: Auth;
  let verifier: Verifier;
  let gateway: Gateway;
  let service: Service;
  let bench: SidecarBench;
  let sidecar: Sidecar;
  let edges: [string, string][] = [];

  before(async () => {
    auth = createMemoryAuth();
    await bootstrapAuth(auth, { MICRO_AUTH_ADMIN_SECRET: ADMIN_SECRET });
    await auth.createAccount({ id: 'worker', type: 'service', secret: WORKER_SECRET });
    verifier = createVerifier({ source: auth, refresh: 50 });
    service = greeter(registry, '1.0.0');
    await service.start();
    gateway = await createGateway({
      registry,
      address: '127.0.0.1:0',
      log: false,
      auth: { verifier, auth },
    });
    bench = await startSidecarBench();
    sidecar = await bench.start({ auth: { verifier, auth } });
    edges = [
      ['gateway', `http://${gateway.address}`],
      ['sidecar', `http://${sidecar.address}`],
    ];
  });
  after(async () => {
    await closeAll(gateway, sidecar, bench, service, registry);
    verifier.close();
    await auth.close();
  });

  it('publishes RFC 8414 metadata and a JWKS that verifies the tokens it issues (jose createRemoteJWKSet)', async () => {
    for (const [name, base] of edges) {
      const res = await fetch(`${base}/.well-known/oauth-authorization-server`);
      assert.equal(res.status, 200, name);
      const m = (await res.json()) as Json;
      assert.equal(m.issuer, 'micro');
      assert.equal(m.token_endpoint, `${base}/oauth/token`);
      assert.equal(m.revocation_endpoint, `${base}/oauth/revoke`);
      assert.equal(m.jwks_uri, `${base}/.well-known/jwks.json`);
      assert.deepEqual(m.grant_types_supported, [
        'client_credentials',
        'password',
        'refresh_token',
      ]);
      assert.deepEqual(m.token_endpoint_auth_methods_supported, [
        'client_secret_basic',
        'client_secret_post',
      ]);
      const token = await fetch(String(m.token_endpoint), {
        method: 'POST',
        headers: { ...FORM, authorization: basic('worker', WORKER_SECRET) },
        body: 'grant_type=client_credentials',
      });
      assert.equal(token.status, 200, name);
      assert.equal(token.headers.get('cache-control'), 'no-store');
      assert.equal(token.headers.get('pragma'), 'no-cache');
      const t = (await token.json()) as Json;
      assert.equal(t.token_type, 'Bearer');
      assert.equal(t.expires_in, 900);
      const jwks = createRemoteJWKSet(new URL(String(m.jwks_uri)));
      const { payload, protectedHeader } = await jwtVerify(String(t.access_token), jwks, {
        issuer: 'micro',
        audience: 'micro',
        typ: 'at+jwt',
        algorithms: ['EdDSA'],
      });
      assert.equal(payload.sub, 'worker');
      assert.equal(protectedHeader.alg, 'EdDSA');
    }
  });

  it('issues tokens by every grant, the client authenticated by Basic or in the body, and they open the edges', async () => {
    const [, base] = edges[0]!;
    const post = (body: string, headers: Record<string, string> = FORM) =>
      fetch(`${base}/oauth/token`, { method: 'POST', headers, body });
    const inBody = await post(
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'worker',
        client_secret: WORKER_SECRET,
      }).toString(),
    );
    const worker = (await inBody.json()) as Json;
    assert.equal(inBody.status, 200);
    const call = await fetch(`${base}/greeter/say/hello`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${String(worker.access_token)}`,
      },
      body: '{"name":"Ann"}',
    });
    assert.equal(call.status, 200);
    const password = await post(
      JSON.stringify({ grant_type: 'password', username: 'admin', password: ADMIN_SECRET }),
      { 'content-type': 'application/json' },
    );
    const admin = (await password.json()) as Json;
    assert.equal(password.status, 200);
    const refreshed = await post(
      `grant_type=refresh_token&refresh_token=${String(admin.refresh_token)}`,
    );
    assert.equal(refreshed.status, 200);
    // A refresh token is single use (RFC 6749 10.4).
    const again = await post(
      `grant_type=refresh_token&refresh_token=${String(admin.refresh_token)}`,
    );
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as Json).error, 'invalid_grant');
  });

  it('refuses bad token requests in RFC 6749 5.2 shape, the micro shape beside it', async () => {
    for (const [name, base] of edges) {
      const post = (body: string, headers: Record<string, string> = FORM) =>
        fetch(`${base}/oauth/token`, { method: 'POST', headers, body });
      const cases: [string, Promise<Response>, number, string][] = [
        [
          'wrong secret',
          post('grant_type=client_credentials', {
            ...FORM,
            authorization: basic('worker', 'nope-nope-nope'),
          }),
          401,
          'invalid_client',
        ],
        ['no grant', post('client_id=worker'), 400, 'invalid_request'],
        ['unknown grant', post('grant_type=implicit'), 400, 'unsupported_grant_type'],
        [
          'repeated',
          post('grant_type=password&grant_type=password&username=a&password=b'),
          400,
          'invalid_request',
        ],
        ['bad escape', post('grant_type=password&username=%zz&password=b'), 400, 'invalid_request'],
        [
          'two ways',
          post(`grant_type=client_credentials&client_secret=x`, {
            ...FORM,
            authorization: basic('worker', WORKER_SECRET),
          }),
          400,
          'invalid_request',
        ],
        [
          'not a form',
          post('grant_type=password', { 'content-type': 'text/plain' }),
          400,
          'invalid_request',
        ],
        [
          'malformed Basic',
          post('grant_type=client_credentials', { ...FORM, authorization: 'Basic !!!' }),
          401,
          'invalid_client',
        ],
      ];
      for (const [why, pending, status, error] of cases) {
        const res = await pending;
        const e = (await res.json()) as Json;
        assert.equal(res.status, status, `${name} ${why}: ${JSON.stringify(e)}`);
        assert.equal(e.error, error, `${name} ${why}`);
        assert.equal(typeof e.error_description, 'string');
        assert.equal(e.code, status);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        if (error === 'invalid_client')
          assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="micro"/);
        assert.ok(!JSON.stringify(e).includes(WORKER_SECRET));
      }
      const get = await fetch(`${base}/oauth/token`);
      assert.equal(get.status, 405);
      const huge = await post(`grant_type=password&username=${'a'.repeat(20_000)}&password=b`);
      assert.ok(huge.status === 400 || huge.status === 413, `${name}: ${huge.status}`);
    }
  });

  it('revokes a token (RFC 7009): 200 even for unknown ones, and the edges refuse it from the next refresh', async () => {
    for (const [name, base] of edges) {
      const issued = await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: { ...FORM, authorization: basic('worker', WORKER_SECRET) },
        body: 'grant_type=client_credentials',
      });
      const token = String(((await issued.json()) as Json).access_token);
      const path = name === 'gateway' ? '/greeter/say/hello' : '/greeter/Say.Hello';
      const hello = () =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: '{"name":"Ann"}',
        });
      assert.equal((await hello()).status, 200, name);
      const revoke = await fetch(`${base}/oauth/revoke`, {
        method: 'POST',
        headers: FORM,
        body: `token=${token}&token_type_hint=access_token`,
      });
      assert.equal(revoke.status, 200);
      const unknown = await fetch(`${base}/oauth/revoke`, {
        method: 'POST',
        headers: FORM,
        body: 'token=nothing-known',
      });
      assert.equal(unknown.status, 200);
      await verifier.next();
      const refused = await hello();
      assert.equal(refused.status, 401, name);
      assert.match(String(((await refused.json()) as Json).detail), /revoked/);
    }
  });
});
