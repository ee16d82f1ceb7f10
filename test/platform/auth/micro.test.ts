import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroAuth } from '../../../src/platform/auth/client.ts';
import { authFromEnv } from '../../../src/platform/auth/index.ts';
import { createMicroStore } from '../../../src/platform/store/client.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { runAuthCases } from '../../conformance/auth.case.ts';
import { signingKey } from '../../helpers/auth-keys.ts';
import { micro } from '../../helpers/cli.ts';
import { quiet } from '../../helpers/fixtures.ts';
import { claimsOf, mintToken } from '../../helpers/tokens.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-auth-cp-'));
let cp: ControlPlane;
before(async () => {
  cp = await startControlPlane({ address: '127.0.0.1:0', dataDir: dir, logger: quiet });
});
after(async () => {
  await cp.stop();
  rmSync(dir, { recursive: true, force: true });
});

runAuthCases('micro (the control plane, SQLite)', () => createMicroAuth({ address: cp.address }));

/** POSTs a raw request to the auth service's node, as any HTTP client could. */
async function post(endpoint: string, body: string) {
  const registry = createMicroRegistry({ address: cp.address });
  const [service] = await registry.getService('auth');
  await registry.close();
  const res = await fetch(`http://${service!.nodes[0]!.address}/`, {
    method: 'POST',
    headers: {
      'micro-service': 'auth',
      'micro-endpoint': `Auth.${endpoint}`,
      'content-type': 'application/json',
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('auth service', () => {
  it('is an ordinary micro service: micro call auth Auth.Token gives a token', async () => {
    const auth = createMicroAuth({ address: cp.address });
    try {
      const { secret } = await auth.createAccount({ id: 'caller', type: 'service' });
      const env = { MICRO_REGISTRY_ADDRESS: cp.address };
      const body = JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'caller',
        client_secret: secret,
      });
      const run = await micro(['call', 'auth', 'Auth.Token', body], { env });
      assert.equal(run.code, 0, run.stderr);
      const token = JSON.parse(run.stdout) as { access_token: string; token_type: string };
      assert.equal(token.token_type, 'Bearer');
      const { payload } = await jwtVerify(
        token.access_token,
        createLocalJWKSet(await auth.jwks()),
        { algorithms: ['EdDSA'], issuer: 'micro', audience: 'micro', typ: 'at+jwt' },
      );
      assert.equal(payload.sub, 'caller');
      const wrong = await micro(
        ['call', 'auth', 'Auth.Token', body.replace(secret, 'not the secret')],
        { env },
      );
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stdout + wrong.stderr, /invalid_client/);
      assert.ok(!(wrong.stdout + wrong.stderr).includes(secret));
    } finally {
      await auth.close();
    }
  });

  it('answers HTTP callers with RFC 6749 error codes, ignoring unknown token fields', async () => {
    const bad = await post(
      'Token',
      '{"grant_type":"client_credentials","client_id":"nobody","client_secret":"whatever-it-is","extra":1}',
    );
    // A service's HTTP port carries {id, code, detail, status}: the RFC 6749 code leads the detail
    // (the gateway's /oauth/token adds `error` and `error_description` from it).
    assert.equal(bad.status, 401);
    assert.equal(bad.body.id, 'auth');
    assert.match(bad.body.detail as string, /^invalid_client: .*client_secret/);
    const grant = await post('Token', '{"grant_type":"magic"}');
    assert.equal(grant.status, 400);
    assert.match(grant.body.detail as string, /^unsupported_grant_type: /);
    const notObject = await post('Token', '[1]');
    assert.equal(notObject.status, 400);
    assert.match(notObject.body.detail as string, /^invalid_request: /);
    const typo = await post('CreateAccount', '{"id":"x","type":"user","rolez":["a"]}');
    assert.equal(typo.status, 400);
    assert.match(
      typo.body.detail as string,
      /rolez is not a field of a Auth\.CreateAccount request/,
    );
    const hostile = await post('CreateAccount', '{"id":"../etc","type":"user"}');
    assert.equal(hostile.status, 400);
    assert.match(hostile.body.detail as string, /id must be 1 to 128/);
    const listed = await post('ListAccounts', '{}');
    assert.ok(!(listed.body.accounts as { id: string }[]).some((a) => a.id === '../etc'));
  });

  it('answers hostile requests to every endpoint with a 4xx naming the problem, never a crash', async () => {
    const endpoints = [
      'Token',
      'Revoke',
      'Jwks',
      'Snapshot',
      'Whoami',
      'CreateAccount',
      'GetAccount',
      'ListAccounts',
      'UpdateAccount',
      'DeleteAccount',
      'ListRules',
      'CreateRule',
      'DeleteRule',
      'RotateKeys',
    ];
    const bodies = [
      'null',
      '1',
      '"x"',
      '[]',
      '{"id":{}}',
      '{"id":"__proto__","type":"user","metadata":{"__proto__":"x"}}',
      '{"id":"a","type":"user","roles":[null]}',
      '{"id":"a","secret":5}',
      '{"token":7}',
      '{"account":"../x"}',
      '{"grant_type":"password","username":["admin"],"password":"x"}',
      '{"who":"*","resource":{"kind":"__proto__","name":"*","action":"*"},"access":"allow"}',
      '{"who":"*","resource":null,"access":"allow"}',
      `{"id":"${'x'.repeat(100_000)}"}`,
    ];
    const before = await post('ListAccounts', '{}');
    for (const endpoint of endpoints)
      for (const body of bodies) {
        const r = await post(endpoint, body);
        if (r.status === 200) continue; // {} to Jwks, an unknown token to Revoke...
        const what = `${endpoint} ${body.slice(0, 80)}: ${JSON.stringify(r.body).slice(0, 200)}`;
        assert.ok(r.status >= 400 && r.status < 500, what);
        assert.equal(r.body.id, 'auth', what);
        assert.ok(typeof r.body.detail === 'string' && r.body.detail.length > 0, what);
      }
    const after = await post('ListAccounts', '{}');
    assert.deepEqual(after.body, before.body);
  });

  it('gives tests its signing key from micro.db, and keeps serving the other platform services', async () => {
    const auth = createMicroAuth({ address: cp.address });
    const store = createMicroStore({ address: cp.address });
    try {
      const jwks = await auth.jwks();
      const key = signingKey(join(dir, 'micro.db'));
      assert.ok(jwks.keys.some((k) => k.kid === key.kid));
      const minted = await mintToken(key, claimsOf('admin'));
      await jwtVerify(minted, createLocalJWKSet(jwks), { algorithms: ['EdDSA'] });
      await store.put('still', 'here');
      assert.equal((await store.get('still'))?.value, 'here');
    } finally {
      await auth.close();
      await store.close();
    }
  });

  it('is what authFromEnv gives by default, at the registry the environment names', async () => {
    const auth = authFromEnv({ MICRO_REGISTRY_ADDRESS: cp.address });
    try {
      assert.equal(auth.name, 'micro');
      assert.ok((await auth.jwks()).keys.length > 0);
    } finally {
      await auth.close();
    }
    assert.equal(authFromEnv({ MICRO_AUTH_PROVIDER: 'memory' }).name, 'memory');
    assert.throws(() => authFromEnv({ MICRO_AUTH_PROVIDER: 'nope' }), /use one of micro, memory/);
  });
});
