// `micro auth accounts|rules|revoke` as an admin runs them, against a real control plane
// enforcing auth: round trips, clear 400s, a 403 for a user who is no admin, a created account's
// secret shown once, revoking an account's tokens.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Account, Rule } from '../../src/platform/auth/auth.ts';
import { assertClean, startAuthBench, type AuthBench } from '../helpers/auth-cli.ts';
import { errorOf, type Run } from '../helpers/cli.ts';

describe('micro auth accounts, rules and revoke with auth on', () => {
  let b: AuthBench;
  before(async () => {
    b = await startAuthBench('micro-auth-admin-');
    await b.login();
  });
  after(() => b.stop());

  it('creates, lists, changes and deletes an account; the secret is shown once', async () => {
    const made = await b.run(['auth', 'accounts', 'create', 'ann', '--role', 'dev', '-o', 'json']);
    assert.equal(made.code, 0, made.stderr);
    const { account, secret: annSecret } = JSON.parse(made.stdout) as {
      account: Account;
      secret: string;
    };
    assert.deepEqual(account.roles, ['dev']);
    assert.ok(annSecret.length >= 12);
    assert.match(made.stderr, /not shown again/);

    const list = await b.run(['auth', 'accounts', 'list']);
    assert.match(list.stdout, /^ann\s+user\s+dev\s+-\s+\S+\s+active$/m);
    assertClean(list, annSecret);
    const got = await b.run(['auth', 'accounts', 'get', 'ann', '-o', 'json']);
    assert.equal((JSON.parse(got.stdout) as Account).id, 'ann');
    assertClean(got, annSecret);

    const changed = await b.run([
      'auth',
      'accounts',
      'update',
      'ann',
      '--role',
      'dev,ops',
      '-o',
      'json',
    ]);
    assert.deepEqual((JSON.parse(changed.stdout) as Account).roles, ['dev', 'ops']);
    const nothing = await b.run(['auth', 'accounts', 'update', 'ann']);
    assert.equal(errorOf(nothing).code, 400);

    const bad = await b.run(['auth', 'accounts', 'create', 'no spaces allowed']);
    assert.equal(bad.code, 1);
    assert.equal(errorOf(bad).code, 400);

    // ann logs in (in her own folder) and is who she says.
    const annDir = join(b.dataDir, 'ann');
    const login = await b.run(['login', '--id', 'ann', '--secret-stdin'], annSecret, {
      MICRO_CONFIG_DIR: annDir,
    });
    assert.equal(login.code, 0, login.stderr);
    const who = await b.run(['whoami', '-o', 'json'], undefined, { MICRO_CONFIG_DIR: annDir });
    assert.equal((JSON.parse(who.stdout) as Account).id, 'ann');
    // ann may not manage accounts: a 403, not a login hint.
    const denied = await b.run(['auth', 'accounts', 'list'], undefined, {
      MICRO_CONFIG_DIR: annDir,
    });
    assert.equal(errorOf(denied).code, 403);

    const gone = await b.run(['auth', 'accounts', 'delete', 'ann']);
    assert.equal(gone.code, 0, gone.stderr);
    const missing = await b.run(['auth', 'accounts', 'get', 'ann']);
    assert.equal(errorOf(missing).code, 404);
  });

  it('adds, lists and deletes a rule', async () => {
    const added = await b.run([
      'auth',
      'rules',
      'add',
      '--who',
      'role:dev',
      '--resource',
      'service:greeter:*',
      '--access',
      'allow',
      '--priority',
      '10',
      '--id',
      'dev-greeter',
    ]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(
      added.stdout,
      /added rule dev-greeter: allow role:dev service:greeter:\* \(priority 10\)/,
    );
    const list = await b.run(['auth', 'rules', 'list']);
    assert.match(list.stdout, /^dev-greeter\s+role:dev\s+service:greeter:\*\s+allow\s+10$/m);
    const json = await b.run(['auth', 'rules', 'list', '-o', 'json']);
    const rule = (JSON.parse(json.stdout) as Rule[]).find((r) => r.id === 'dev-greeter');
    assert.deepEqual(rule?.resource, { kind: 'service', name: 'greeter', action: '*' });

    const bad = await b.run([
      'auth',
      'rules',
      'add',
      '--who',
      'role:dev',
      '--resource',
      'nonsense',
    ]);
    assert.equal(errorOf(bad).code, 400);
    assert.match(errorOf(bad).detail, /kind:name:action/);

    const del = await b.run(['auth', 'rules', 'delete', 'dev-greeter']);
    assert.equal(del.code, 0, del.stderr);
    const after = await b.run(['auth', 'rules', 'list', '-o', 'json']);
    assert.ok(!(JSON.parse(after.stdout) as Rule[]).some((r) => r.id === 'dev-greeter'));
  });

  it('revokes every token of an account', async () => {
    const made = await b.run(
      ['auth', 'accounts', 'create', 'bot', '--type', 'service', '--secret-stdin'],
      'bot-secret-123456',
    );
    assert.equal(made.code, 0, made.stderr);
    const botDir = join(b.dataDir, 'bot');
    const login = await b.run(['login', '--id', 'bot', '--secret-stdin'], 'bot-secret-123456', {
      MICRO_CONFIG_DIR: botDir,
    });
    assert.equal(login.code, 0, login.stderr);
    const r = await b.run(['auth', 'revoke', '--account', 'bot']);
    assert.equal(r.code, 0, r.stderr);
    const token = b.stored(botDir)[b.cp.address]!.access_token;
    // Verifiers refuse it within a refresh (2 s): bounded retries.
    let last: Run | undefined;
    for (let i = 0; i < 20; i++) {
      last = await b.run(['list', 'services'], undefined, {
        MICRO_CONFIG_DIR: botDir,
        MICRO_AUTH_TOKEN: token,
      });
      if (last.code !== 0) break;
    }
    assert.equal(errorOf(last!).code, 401);
    assert.match(errorOf(last!).detail, /micro login/);
  });

  it('lists and rotates the signing keys', async () => {
    const before = JSON.parse((await b.run(['auth', 'keys', 'list', '-o', 'json'])).stdout) as {
      keys: unknown[];
    };
    const rotated = await b.run(['auth', 'keys', 'rotate', '-o', 'json']);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.equal(
      (JSON.parse(rotated.stdout) as { keys: unknown[] }).keys.length,
      before.keys.length + 1,
    );
    const list = await b.run(['auth', 'keys', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout.trimEnd(),
      /^KID\s+ALG\s+CURVE\s+USE\n\S+\s+EdDSA\s+Ed25519\s+sig\n\S+\s+EdDSA\s+Ed25519\s+sig$/,
    );
  });
});
