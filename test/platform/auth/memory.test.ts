import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import type { Auth } from '../../../src/platform/auth/auth.ts';
import { hashSecret, verifySecret } from '../../../src/platform/auth/hash.ts';
import { createMemoryAuth } from '../../../src/platform/auth/memory.ts';
import { AUTH_LIMITS } from '../../../src/platform/auth/validate.ts';
import { runAuthCases } from '../../conformance/auth.case.ts';

runAuthCases('memory', () => createMemoryAuth());

const MIN = 60_000;

/** A memory Auth on a clock the test moves, with one service account. */
async function clocked() {
  let offset = 0;
  const auth = createMemoryAuth({ now: () => Date.now() + offset });
  const { secret } = await auth.createAccount({ id: 'svc', type: 'service' });
  const login = () =>
    auth.token({ grant_type: 'client_credentials', client_id: 'svc', client_secret: secret });
  return { auth, login, advance: (ms: number) => void (offset += ms) };
}

const kidOf = (t: { access_token: string }) => decodeProtectedHeader(t.access_token).kid;
const kids = async (auth: Auth) => (await auth.jwks()).keys.map((k) => k.kid);

describe('memory auth over time', () => {
  it('rotates its key every 24 h and drops a retired key once its tokens expired (15 + 5 min)', async () => {
    const { auth, login, advance } = await clocked();
    const first = kidOf(await login());
    advance(24 * 60 * MIN + 1000);
    const second = kidOf(await login());
    assert.notEqual(second, first);
    assert.deepEqual(await kids(auth), [first, second]);
    advance(19 * MIN);
    assert.deepEqual(await kids(auth), [first, second]);
    advance(MIN + 1000);
    assert.deepEqual(await kids(auth), [second]);
    assert.deepEqual(
      (await auth.snapshot()).jwks.keys.map((k) => k.kid),
      [second],
    );
    await auth.close();
  });

  it('forgets revoked tokens and account cut-offs once every token they refuse has expired', async () => {
    const { auth, login, advance } = await clocked();
    await auth.revoke({ token: (await login()).access_token });
    await auth.revoke({ account: 'svc' });
    const held = await auth.snapshot();
    assert.equal(held.revoked.length, 1);
    assert.ok(held.revokedBefore.svc);
    advance(16 * MIN);
    const later = await auth.snapshot();
    assert.deepEqual([later.revoked, later.revokedBefore], [[], {}]);
    assert.ok(later.version > held.version);
    await auth.close();
  });

  it('refuses a refresh token after its 30 days', async () => {
    const { auth, login, advance } = await clocked();
    const t = await login();
    advance(30 * 24 * 60 * MIN + 1000);
    await assert.rejects(
      auth.token({ grant_type: 'refresh_token', refresh_token: t.refresh_token }),
      { error: 'invalid_grant' },
    );
    await auth.close();
  });
});

describe('memory auth limits', () => {
  it(`keeps at most ${AUTH_LIMITS.rules} rules, still replacing one by id`, async () => {
    const auth = createMemoryAuth();
    const rule = (id: string) => ({
      id,
      who: '*',
      resource: { kind: 'topic' as const, name: id, action: 'publish' },
      access: 'allow' as const,
    });
    for (let i = 0; i < AUTH_LIMITS.rules; i++) await auth.createRule(rule(`r${i}`));
    await assert.rejects(auth.createRule(rule('one-more')), {
      code: 400,
      detail: /there are 10000 rules, the limit/,
    });
    await auth.createRule({ ...rule('r5'), access: 'deny' });
    assert.equal((await auth.listRules()).length, AUTH_LIMITS.rules);
    await auth.close();
  });
});

describe('secret hashing', () => {
  it('stores scrypt hashes with a fresh salt, and checks them', async () => {
    const a = await hashSecret('a secret of ours');
    const b = await hashSecret('a secret of ours');
    assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(await verifySecret('a secret of ours', a), true);
    assert.equal(await verifySecret('a secret of ourz', a), false);
    assert.equal(await verifySecret('a secret of ours', undefined), false);
    assert.equal(await verifySecret('a secret of ours', a.replace('16384', '2')), false);
    assert.equal(await verifySecret('a secret of ours', 'garbage'), false);
  });
});
