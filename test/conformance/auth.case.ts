// The auth contract: one suite run unchanged against every Auth (memory, SQLite, the control
// plane's client). Each test uses account ids of its own, so a shared control plane needs no
// cleaning. Tokens are checked as a verifier would, with jose against the Auth's own JWKS.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { Auth, Jwks, TokenResponse } from '../../src/platform/auth/auth.ts';

/** A fresh account id. */
const fresh = (prefix = 'a'): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Expects an auth error with this code (and OAuth `error`, when given) whose detail matches. */
async function refused(p: Promise<unknown>, code: number, detail: RegExp, error?: string) {
  await assert.rejects(p, (err: Record<string, unknown>) => {
    assert.equal(err.code, code, `expected ${code}, got ${JSON.stringify(err)}`);
    assert.equal(err.id, 'auth');
    assert.match(String(err.detail), detail);
    if (error) assert.equal(err.error, error, JSON.stringify(err));
    return true;
  });
}

/** The verified claims of a token, as a verifier would check them. */
async function verified(token: string, jwks: Jwks): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    algorithms: ['EdDSA'],
    issuer: 'micro',
    audience: 'micro',
    typ: 'at+jwt',
  });
  assert.equal(protectedHeader.alg, 'EdDSA');
  assert.ok(protectedHeader.kid);
  return payload;
}

/** Runs the auth contract against the Auth `make` gives (one per suite, closed at its end). */
export function runAuthCases(name: string, make: () => Auth | Promise<Auth>): void {
  describe(`auth contract: ${name}`, () => {
    let auth: Auth;
    before(async () => {
      auth = await make();
    });
    after(async () => {
      await auth.close();
    });
    const service = async (scopes: string[] = [], extra: object = {}) => {
      const id = fresh('svc');
      const { secret } = await auth.createAccount({ id, type: 'service', scopes, ...extra });
      return { id, secret };
    };
    const login = (id: string, secret: string, scope?: string): Promise<TokenResponse> =>
      auth.token({
        grant_type: 'client_credentials',
        client_id: id,
        client_secret: secret,
        ...(scope !== undefined && { scope }),
      });

    it('creates, reads, lists, updates and deletes accounts, never showing a secret again', async () => {
      const id = fresh('ann');
      const created = await auth.createAccount({
        id,
        type: 'user',
        roles: ['dev'],
        metadata: { team: 'a' },
      });
      assert.equal(created.account.id, id);
      assert.ok(created.secret.length >= 32, 'a generated secret is long');
      const got = await auth.getAccount(id);
      assert.deepEqual(got, created.account);
      assert.deepEqual(
        [got.type, got.roles, got.scopes, got.metadata],
        ['user', ['dev'], [], { team: 'a' }],
      );
      const listed = (await auth.listAccounts()).find((a) => a.id === id);
      assert.deepEqual(listed, got);
      const updated = await auth.updateAccount(id, { roles: ['dev', 'ops'], scopes: ['read'] });
      assert.deepEqual([updated.roles, updated.scopes], [['dev', 'ops'], ['read']]);
      const shown = JSON.stringify([got, listed, updated, await auth.listAccounts()]);
      assert.doesNotMatch(shown, /secret|hash|scrypt/);
      assert.ok(!shown.includes(created.secret));
      await refused(auth.createAccount({ id, type: 'user' }), 409, /already exists/);
      await auth.deleteAccount(id);
      await refused(auth.getAccount(id), 404, new RegExp(`no account ${id}`));
      await refused(auth.deleteAccount(id), 404, /no account/);
      await refused(auth.updateAccount(id, { roles: [] }), 404, /no account/);
    });

    it('refuses bad input with a 400 naming the field, storing nothing', async () => {
      const before = (await auth.listAccounts()).length;
      const id = fresh();
      const bad: [object, RegExp][] = [
        [{ id: 'has space', type: 'user' }, /id must be 1 to 128 of/],
        [{ id: '', type: 'user' }, /id must be 1 to 128/],
        [{ id: 'x'.repeat(129), type: 'user' }, /id must be 1 to 128/],
        [{ id, type: 'robot' }, /type must be "user" or "service"/],
        [{ id, type: 'user', secret: 'short' }, /secret must be 12 to 1024 characters, not 5/],
        [{ id, type: 'user', roles: ['a b'] }, /roles\[0\] must be 1 to 64/],
        [{ id, type: 'user', roles: 'admin' }, /roles must be an array/],
        [
          { id, type: 'user', scopes: Array.from({ length: 33 }, (_, i) => `s${i}`) },
          /scopes has 33 items; the limit is 32/,
        ],
        [
          {
            id,
            type: 'user',
            metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])),
          },
          /metadata has 33 keys; the limit is 32/,
        ],
        [{ id, type: 'user', metadata: { k: 1 } }, /metadata\.k must be a string/],
        [{ id, type: 'user', extra: 1 }, /extra is not a field of an account/],
      ];
      for (const [input, detail] of bad)
        await refused(
          auth.createAccount(input as Parameters<Auth['createAccount']>[0]),
          400,
          detail,
        );
      assert.equal((await auth.listAccounts()).length, before);
      assert.ok(!(await auth.listAccounts()).some((a) => a.id === id));
      const rules = (await auth.listRules()).length;
      const rule = (o: object) => ({
        who: '*',
        resource: { kind: 'service', name: 'x', action: '*' },
        access: 'allow',
        ...o,
      });
      const badRules: [object, RegExp][] = [
        [rule({ who: 'nobody' }), /who must be \*, public, account:<id>/],
        [rule({ who: 'type:robot' }), /who must be/],
        [
          rule({ resource: { kind: 'planet', name: 'x', action: '*' } }),
          /resource\.kind must be \* or one of service, topic/,
        ],
        [
          rule({ resource: { kind: 'topic', name: 'x', action: 'eat' } }),
          /resource\.action of a topic rule must be .* publish, subscribe/,
        ],
        [
          rule({ resource: { kind: 'store', name: 'a*b', action: 'read' } }),
          /resource\.name may hold \* only at its end/,
        ],
        [
          rule({ resource: { kind: 'store', name: '', action: 'read' } }),
          /resource\.name must be 1 to 256/,
        ],
        [rule({ access: 'maybe' }), /access must be "allow" or "deny"/],
        [rule({ priority: 1.5 }), /priority must be a whole number/],
        [rule({ id: 'bad id' }), /id must be 1 to 128/],
      ];
      for (const [input, detail] of badRules)
        await refused(auth.createRule(input as Parameters<Auth['createRule']>[0]), 400, detail);
      assert.equal((await auth.listRules()).length, rules);
      await refused(auth.revoke({} as { token: string }), 400, /takes token or account/);
    });

    it('issues tokens by all three grants, refusing wrong secrets as RFC 6749 says', async () => {
      const { id, secret } = await service(['read', 'write'], {
        roles: ['worker'],
        metadata: { zone: 'eu' },
      });
      const cc = await login(id, secret);
      assert.equal(cc.token_type, 'Bearer');
      assert.equal(cc.expires_in, 900);
      assert.equal(cc.scope, 'read write');
      assert.match(cc.refresh_token, /^mrt_[A-Za-z0-9_-]{43}$/);
      const jwks = await auth.jwks();
      const claims = await verified(cc.access_token, jwks);
      assert.equal(claims.sub, id);
      assert.equal(claims.client_id, id);
      assert.equal(claims.account_type, 'service');
      assert.deepEqual(claims.roles, ['worker']);
      assert.deepEqual(claims.metadata, { zone: 'eu' });
      assert.equal(claims.scope, 'read write');
      assert.equal(claims.exp! - claims.iat!, 900);
      assert.equal(claims.nbf, claims.iat);
      assert.ok(typeof claims.jti === 'string' && claims.jti.length > 0);
      assert.equal(decodeProtectedHeader(cc.access_token).typ, 'at+jwt');

      const user = fresh('bob');
      await auth.createAccount({ id: user, type: 'user', secret: 'correct horse battery' });
      const pw = await auth.token({
        grant_type: 'password',
        username: user,
        password: 'correct horse battery',
      });
      assert.equal((await verified(pw.access_token, jwks)).account_type, 'user');
      const rt = await auth.token({ grant_type: 'refresh_token', refresh_token: pw.refresh_token });
      assert.equal((await verified(rt.access_token, await auth.jwks())).sub, user);

      await refused(login(id, 'wrong secret!!'), 401, /invalid_client/, 'invalid_client');
      await refused(
        login(fresh('nobody'), 'wrong secret!!'),
        401,
        /invalid_client/,
        'invalid_client',
      );
      await refused(
        auth.token({ grant_type: 'password', username: user, password: 'wrong horse battery' }),
        400,
        /invalid_grant/,
        'invalid_grant',
      );
      await refused(
        auth.token({ grant_type: 'refresh_token', refresh_token: 'mrt_nothing' }),
        400,
        /invalid_grant/,
        'invalid_grant',
      );
      await refused(
        auth.token({ grant_type: 'implicit' } as unknown as Parameters<Auth['token']>[0]),
        400,
        /unsupported_grant_type/,
        'unsupported_grant_type',
      );
      await refused(
        auth.token({ grant_type: 'client_credentials', client_id: id }),
        400,
        /client_secret is missing/,
        'invalid_request',
      );
    });

    it('narrows scopes on request and refuses ones the account does not hold', async () => {
      const { id, secret } = await service(['read', 'write']);
      const narrow = await login(id, secret, 'read');
      assert.equal(narrow.scope, 'read');
      assert.equal((await verified(narrow.access_token, await auth.jwks())).scope, 'read');
      await refused(login(id, secret, 'read admin'), 400, /scope admin/, 'invalid_scope');
      const again = await auth.token({
        grant_type: 'refresh_token',
        refresh_token: narrow.refresh_token,
      });
      assert.equal(again.scope, 'read');
      await refused(
        auth.token({
          grant_type: 'refresh_token',
          refresh_token: again.refresh_token,
          scope: 'write',
        }),
        400,
        /scope write/,
        'invalid_scope',
      );
    });

    it('rotates refresh tokens, and a reused one revokes its whole family', async () => {
      const { id, secret } = await service();
      const first = await login(id, secret);
      const second = await auth.token({
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token,
      });
      assert.notEqual(second.refresh_token, first.refresh_token);
      const version = (await auth.snapshot()).version;
      await refused(
        auth.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }),
        400,
        /already used.*revoked/,
        'invalid_grant',
      );
      await refused(
        auth.token({ grant_type: 'refresh_token', refresh_token: second.refresh_token }),
        400,
        /invalid_grant/,
        'invalid_grant',
      );
      const snap = await auth.snapshot();
      assert.ok(snap.version > version);
      const jwks = await auth.jwks();
      const revoked = new Set(snap.revoked.map((r) => r.jti));
      for (const t of [first, second])
        assert.ok(
          revoked.has((await verified(t.access_token, jwks)).jti!),
          'family access tokens revoked',
        );
      // Another login of the same account is a new family, untouched.
      const other = await login(id, secret);
      await auth.token({ grant_type: 'refresh_token', refresh_token: other.refresh_token });
    });

    it('revokes tokens and accounts, as the snapshot shows', async () => {
      const { id, secret } = await service();
      const t = await login(id, secret);
      const jti = (await verified(t.access_token, await auth.jwks())).jti!;
      const v0 = (await auth.snapshot()).version;
      await auth.revoke({ token: t.access_token });
      const s1 = await auth.snapshot();
      assert.ok(s1.version > v0);
      assert.ok(s1.revoked.some((r) => r.jti === jti && r.exp > Date.now() / 1000));
      // Unknown, foreign and malformed tokens are no error (RFC 7009), and nothing is kept of them.
      await auth.revoke({ token: 'not.a.jwt' });
      await auth.revoke({ token: 'mrt_unknown' });
      assert.equal((await auth.snapshot()).revoked.length, s1.revoked.length);
      // A revoked refresh token cannot be used.
      await auth.revoke({ token: t.refresh_token });
      await refused(
        auth.token({ grant_type: 'refresh_token', refresh_token: t.refresh_token }),
        400,
        /invalid_grant/,
      );
      // A whole account: its tokens issued so far are refused, new ones are not.
      const t2 = await login(id, secret);
      await auth.revoke({ account: id });
      const s2 = await auth.snapshot();
      const cut = s2.revokedBefore[id];
      assert.ok(
        cut !== undefined && (await verified(t2.access_token, await auth.jwks())).iat! < cut,
      );
      const t3 = await login(id, secret);
      assert.ok((await verified(t3.access_token, await auth.jwks())).iat! >= cut);
      await refused(auth.revoke({ account: fresh('ghost') }), 404, /no account/);
      // Disabling: no more tokens, the old refused; deleting likewise.
      const v2 = (await auth.snapshot()).version;
      await auth.updateAccount(id, { disabled: true });
      assert.equal((await auth.getAccount(id)).disabled, true);
      await refused(login(id, secret), 401, /invalid_client/, 'invalid_client');
      await refused(
        auth.token({ grant_type: 'refresh_token', refresh_token: t3.refresh_token }),
        400,
        /invalid_grant/,
      );
      const s3 = await auth.snapshot();
      assert.ok(s3.version > v2);
      assert.ok(s3.revokedBefore[id]! >= cut);
      await auth.deleteAccount(id);
      assert.ok((await auth.snapshot()).revokedBefore[id] !== undefined);
    });

    it('rotates keys, keeping the old key in the JWKS so its tokens still verify', async () => {
      const { id, secret } = await service();
      const before = await login(id, secret);
      const oldKid = decodeProtectedHeader(before.access_token).kid!;
      const v0 = (await auth.snapshot()).version;
      const rotated = await auth.rotateKeys();
      const kids = rotated.keys.map((k) => k.kid);
      assert.ok(kids.includes(oldKid), 'the old key stays published');
      for (const k of rotated.keys) {
        assert.deepEqual([k.alg, k.kty, k.crv, k.use], ['EdDSA', 'OKP', 'Ed25519', 'sig']);
        assert.equal((k as Record<string, unknown>).d, undefined, 'no private part');
      }
      const afterwards = await login(id, secret);
      const newKid = decodeProtectedHeader(afterwards.access_token).kid!;
      assert.notEqual(newKid, oldKid);
      assert.ok(kids.includes(newKid));
      const snap = await auth.snapshot();
      assert.ok(snap.version > v0);
      await verified(before.access_token, snap.jwks);
      await verified(afterwards.access_token, snap.jwks);
      assert.deepEqual(await auth.jwks(), snap.jwks);
    });

    it('keeps rules, replacing by id, and grows the snapshot version on every change', async () => {
      const versions = [(await auth.snapshot()).version];
      const note = async () => versions.push((await auth.snapshot()).version);
      const rule = await auth.createRule({
        who: 'role:reader',
        resource: { kind: 'store', name: 'orders/*', action: 'read' },
        access: 'allow',
      });
      assert.match(rule.id, /.+/);
      assert.equal(rule.priority, 0);
      await note();
      const id = fresh('rule');
      await auth.createRule({
        id,
        who: 'public',
        resource: { kind: 'service', name: 'greeter', action: 'Say.*' },
        access: 'allow',
        priority: 5,
      });
      await auth.createRule({
        id,
        who: 'public',
        resource: { kind: 'service', name: 'greeter', action: 'Say.*' },
        access: 'deny',
        priority: 5,
      });
      await note();
      const mine = (await auth.listRules()).filter((r) => r.id === id);
      assert.deepEqual(
        mine.map((r) => r.access),
        ['deny'],
      );
      assert.ok((await auth.snapshot()).rules.some((r) => r.id === rule.id));
      await auth.deleteRule(rule.id);
      await note();
      await refused(auth.deleteRule(rule.id), 404, /no rule/);
      await auth.deleteRule(id);
      await auth.createAccount({ id: fresh(), type: 'user' });
      await note();
      for (let i = 1; i < versions.length; i++)
        assert.ok(versions[i]! > versions[i - 1]!, `versions grow: ${versions.join(', ')}`);
      assert.ok(!(await auth.listRules()).some((r) => r.id === rule.id || r.id === id));
    });
  });
}
