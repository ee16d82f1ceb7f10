import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createSqliteAuth } from '../../../src/platform/auth/sqlite.ts';
import { runAuthCases } from '../../conformance/auth.case.ts';
import { signingKey } from '../../helpers/auth-keys.ts';
import { claimsOf, mintToken } from '../../helpers/tokens.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runAuthCases('sqlite', () => createSqliteAuth({ path: join(dir, 'micro.db') }));

describe('sqlite auth', () => {
  it('keeps accounts, keys, refresh tokens and the version across a reopen', async () => {
    const path = join(dir, 'reopen.db');
    const first = createSqliteAuth({ path });
    const { secret } = await first.createAccount({ id: 'keeper', type: 'service' });
    const t = await first.token({
      grant_type: 'client_credentials',
      client_id: 'keeper',
      client_secret: secret,
    });
    const before = await first.snapshot();
    await first.close();
    const second = createSqliteAuth({ path });
    try {
      const after = await second.snapshot();
      assert.equal(after.version, before.version);
      assert.deepEqual(after.jwks, before.jwks);
      await jwtVerify(t.access_token, createLocalJWKSet(after.jwks), { algorithms: ['EdDSA'] });
      const again = await second.token({
        grant_type: 'refresh_token',
        refresh_token: t.refresh_token,
      });
      assert.match(again.access_token, /^ey/);
      await second.createRule({
        who: '*',
        resource: { kind: 'topic', name: 'x', action: 'publish' },
        access: 'allow',
      });
      assert.ok((await second.snapshot()).version > after.version);
    } finally {
      await second.close();
    }
  });

  it('gives tests the signing key, which makes tokens the JWKS verifies', async () => {
    const path = join(dir, 'key.db');
    const auth = createSqliteAuth({ path });
    try {
      const jwks = await auth.jwks();
      const key = signingKey(path);
      assert.equal(key.kid, jwks.keys.at(-1)!.kid);
      const token = await mintToken(key, claimsOf('someone'));
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
        algorithms: ['EdDSA'],
      });
      assert.equal(payload.sub, 'someone');
      await auth.rotateKeys();
      assert.notEqual(signingKey(path).kid, key.kid);
    } finally {
      await auth.close();
    }
  });
});
