// The auth service's own checks, called as the server would call its endpoints, with the caller a
// guard would have named (ctx.caller): admin endpoints by the rules, only when a guard is active.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from '../../../src/runtime/context.ts';
import type { Caller } from '../../../src/runtime/server/guard.ts';
import type { EndpointDefinition, Handler } from '../../../src/runtime/server/handler.ts';
import type { Account, Auth } from '../../../src/platform/auth/auth.ts';
import { bootstrapAuth, bootstrapLines } from '../../../src/platform/auth/bootstrap.ts';
import { createMemoryAuth } from '../../../src/platform/auth/memory.ts';
import { authHandler } from '../../../src/platform/auth/service.ts';

const as = (account: Account): Caller => ({
  id: account.id,
  type: account.type,
  roles: account.roles,
  scopes: account.scopes,
  metadata: account.metadata,
});

/** Calls `endpoint` of the handler with `request`, as `caller` (none: anonymous). */
function call(handler: Handler, endpoint: string, request: object, caller?: Caller) {
  const def = handler[endpoint] as EndpointDefinition;
  const ctx = { caller } as unknown as Context;
  return Promise.resolve(def.fn(request, ctx));
}

async function refused(p: Promise<unknown>, code: number, detail: RegExp) {
  await assert.rejects(p, (err: { code: number; detail: string; id: string }) => {
    assert.equal(err.code, code, JSON.stringify(err));
    assert.equal(err.id, 'auth');
    assert.match(err.detail, detail);
    return true;
  });
}

async function setup(): Promise<{ auth: Auth; admin: Caller; user: Caller; secret: string }> {
  const auth = createMemoryAuth();
  const secret = await bootstrapAuth(auth, {});
  assert.ok(secret);
  const admin = as(await auth.getAccount('admin'));
  const { account } = await auth.createAccount({ id: 'ann', type: 'user' });
  return { auth, admin, user: as(account), secret };
}

describe('auth service checks', () => {
  it('lets an admin manage accounts, rules and keys, and refuses others with 401 or 403', async () => {
    const { auth, admin, user } = await setup();
    const on = authHandler(auth, { env: { MICRO_AUTH: 'on' } });
    const listed = (await call(on, 'ListAccounts', {}, admin)) as { accounts: Account[] };
    assert.deepEqual(
      listed.accounts.map((a) => a.id),
      ['admin', 'ann'],
    );
    await refused(
      call(on, 'ListAccounts', {}, user),
      403,
      /account ann may not auth accounts read/,
    );
    await refused(call(on, 'ListAccounts', {}), 401, /needs a token/);
    await refused(
      call(on, 'CreateAccount', { id: 'evil', type: 'user', roles: ['admin'] }, user),
      403,
      /auth accounts write/,
    );
    await refused(call(on, 'ListRules', {}, user), 403, /auth rules read/);
    await refused(call(on, 'RotateKeys', {}, user), 403, /auth keys write/);
    await refused(call(on, 'Revoke', { account: 'admin' }, user), 403, /auth tokens write/);
    await call(on, 'Revoke', { account: 'ann' }, user);
    assert.ok((await auth.snapshot()).revokedBefore.ann);
    assert.ok(!(await auth.listAccounts()).some((a) => a.id === 'evil'));
    await call(
      on,
      'CreateRule',
      {
        id: 'readers',
        who: 'account:ann',
        resource: { kind: 'auth', name: 'accounts', action: 'read' },
        access: 'allow',
      },
      admin,
    );
    const now = (await call(on, 'ListAccounts', {}, user)) as { accounts: Account[] };
    assert.equal(now.accounts.length, 2);
    await auth.close();
  });

  it('keeps the token endpoint and the keys public, and Snapshot and Whoami to callers', async () => {
    const { auth, user, secret } = await setup();
    const on = authHandler(auth, { env: { MICRO_AUTH: 'on' } });
    const token = await call(on, 'Token', {
      grant_type: 'password',
      username: 'admin',
      password: secret,
    });
    assert.ok((token as { access_token: string }).access_token);
    assert.ok(((await call(on, 'Jwks', {})) as { keys: unknown[] }).keys.length > 0);
    await call(on, 'Revoke', { token: 'not-a-token' });
    await refused(call(on, 'Snapshot', {}), 401, /needs a token/);
    assert.ok(((await call(on, 'Snapshot', {}, user)) as { version: number }).version > 0);
    await refused(call(on, 'Whoami', {}), 401, /needs a token/);
    assert.equal(((await call(on, 'Whoami', {}, user)) as Account).id, 'ann');
    await auth.close();
  });

  it('checks nothing when no guard is active (auth off), and applies the rules once a caller is named', async () => {
    const { auth, user } = await setup();
    const off = authHandler(auth, { env: {} });
    await call(off, 'CreateAccount', { id: 'bob', type: 'user' });
    assert.ok(((await call(off, 'Snapshot', {})) as { version: number }).version > 0);
    await refused(call(off, 'Whoami', {}), 401, /auth is off/);
    await refused(
      call(off, 'DeleteAccount', { id: 'bob' }, user),
      403,
      /may not auth accounts write/,
    );
    await call(off, 'DeleteAccount', { id: 'bob' });
    await auth.close();
  });
});

describe('bootstrap', () => {
  it('makes admin and the seed rules once, returning only a generated secret', async () => {
    const auth = createMemoryAuth();
    const secret = await bootstrapAuth(auth, {});
    assert.ok(secret && secret.length >= 32);
    assert.deepEqual(
      (await auth.listAccounts()).map((a) => [a.id, a.type, a.roles]),
      [['admin', 'user', ['admin']]],
    );
    assert.ok((await auth.listRules()).some((r) => r.id === 'admin' && r.who === 'role:admin'));
    assert.equal(await bootstrapAuth(auth, {}), undefined);
    assert.equal((await auth.listAccounts()).length, 1);
    assert.deepEqual(bootstrapLines(secret), [
      `auth: created account admin; its secret (shown once): ${secret}`,
      'log in with: micro login --id admin',
    ]);
    await auth.close();

    const given = createMemoryAuth();
    assert.equal(
      await bootstrapAuth(given, { MICRO_AUTH_ADMIN_SECRET: 'a given secret!' }),
      undefined,
    );
    const t = await given.token({
      grant_type: 'password',
      username: 'admin',
      password: 'a given secret!',
    });
    assert.match(t.access_token, /^ey/);
    await given.close();
  });
});
