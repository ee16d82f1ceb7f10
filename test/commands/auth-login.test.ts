// `micro login`, `whoami`, `logout` and `auth token` as a user runs them, against a real control
// plane enforcing auth: the bootstrap admin secret on stdin, the credentials file (0600 in a 0700
// folder), the 401 hint, shell completion, a refresh of a token about to expire, logout's revoke.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Account, TokenResponse } from '../../src/platform/auth/auth.ts';
import { assertClean, startAuthBench, type AuthBench } from '../helpers/auth-cli.ts';
import { errorOf, micro } from '../helpers/cli.ts';

describe('micro login, whoami, logout, auth token with auth on', () => {
  let b: AuthBench;
  before(async () => (b = await startAuthBench()));
  after(() => b.stop());

  it('refuses a command with no login with a 401 that says to log in', async () => {
    const r = await b.run(['list', 'services']);
    assert.equal(r.code, 1);
    const e = errorOf(r);
    assert.equal(e.code, 401);
    assert.match(e.detail, /micro login/);
    // A bad token refused at the lookup of a service is a 401 too, not an outage.
    const call = await b.run(['call', 'store', 'Store.Namespaces', '{}'], undefined, {
      MICRO_AUTH_TOKEN: 'not-a-token',
    });
    assert.equal(call.code, 1);
    assert.equal(errorOf(call).code, 401);
    assert.match(errorOf(call).detail, /micro login/);
  });

  it('logs in with the secret on stdin, into a 0600 file in a 0700 folder', async () => {
    const wrong = await b.run(['login', '--id', 'admin', '--secret-stdin'], 'not-the-secret-1\n');
    assert.equal(wrong.code, 1);
    assert.equal(errorOf(wrong).code, 401);
    assert.match(errorOf(wrong).detail, /id or secret is wrong/);

    const r = await b.run(['login', '--id', 'admin', '--secret-stdin'], `${b.secret}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`logged in as admin at ${b.cp.address}`));
    assert.equal(statSync(b.file).mode & 0o777, 0o600);
    assert.equal(statSync(b.configDir).mode & 0o777, 0o700);
    const entry = b.stored()[b.cp.address];
    assert.ok(entry, 'an entry for the registry address');
    assert.equal(entry.id, 'admin');
    assert.ok(entry.expires_at > Date.now());
    assert.ok(!readFileSync(b.file, 'utf8').includes(b.secret), 'the secret is not stored');
    assertClean(r, b.secret, entry.access_token, entry.refresh_token);
  });

  it('without a terminal and without --secret-stdin, says how to give the secret', async () => {
    const r = await b.run(['login', '--id', 'admin']);
    assert.equal(r.code, 1);
    assert.equal(errorOf(r).code, 400);
    assert.match(errorOf(r).detail, /--secret-stdin/);
  });

  it('whoami names the account; other commands now work with the stored token', async () => {
    const r = await b.run(['whoami']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /id:\s+admin/);
    assert.match(r.stdout, /roles:\s+admin/);
    const j = await b.run(['whoami', '-o', 'json']);
    const me = JSON.parse(j.stdout) as Account;
    assert.equal(me.id, 'admin');
    assert.equal(me.type, 'user');
    const entry = b.stored()[b.cp.address]!;
    assertClean(j, entry.access_token, entry.refresh_token);
    const list = await b.run(['list', 'services']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /registry/);
    // The platform commands send it too: the store, config and events check their own rules.
    for (const args of [
      ['store', 'put', 'greeting', 'hello'],
      ['config', 'set', 'db.pool', '5'],
      ['events', 'publish', 'orders', '{"id":1}'],
      ['db', 'create', 'orders', '{"total":3}'],
    ]) {
      const r = await b.run(args);
      assert.equal(r.code, 0, `micro ${args.join(' ')}: ${r.stderr}`);
    }
    const got = await b.run(['store', 'get', 'greeting']);
    assert.equal(got.stdout.trim(), '"hello"');
  });

  it('completes the auth commands, account ids and rule ids on TAB', async () => {
    const tab = async (...words: string[]): Promise<string[]> => {
      const r = await micro(
        ['--get-yargs-completions', 'micro', '--registry-address', b.cp.address, ...words],
        { env: { MICRO_CONFIG_DIR: b.configDir, MICRO_COMPLETION_TIMEOUT: '5000' } },
      );
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    const subcommands = (await tab('auth', '')).map((c) => c.split(':')[0]);
    for (const c of ['accounts', 'rules', 'revoke', 'keys', 'token'])
      assert.ok(subcommands.includes(c), `auth ${c} in ${subcommands.join(' ')}`);
    assert.deepEqual(await tab('auth', 'accounts', 'get', 'ad'), ['admin']);
    assert.ok((await tab('auth', 'rules', 'delete', '')).includes('registry-read'));
  });

  it('auth token prints a token that works as MICRO_AUTH_TOKEN', async () => {
    const t = await b.run(['auth', 'token']);
    assert.equal(t.code, 0, t.stderr);
    const token = t.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    // With the token in the environment and no stored login, a command works.
    const other = await b.run(['whoami', '-o', 'json'], undefined, {
      MICRO_CONFIG_DIR: join(b.dataDir, 'nobody'),
      MICRO_AUTH_TOKEN: token,
    });
    assert.equal((JSON.parse(other.stdout) as Account).id, 'admin');
  });

  it('refreshes a stored token that expires within a minute, and saves the new pair', async () => {
    const entry = b.stored()[b.cp.address]!;
    const all = b.stored();
    all[b.cp.address] = { ...entry, expires_at: Date.now() + 30_000 };
    writeFileSync(b.file, JSON.stringify(all));
    const r = await b.run(['whoami', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const now = b.stored()[b.cp.address]!;
    assert.notEqual(now.refresh_token, entry.refresh_token);
    assert.notEqual(now.access_token, entry.access_token);
    assert.ok(now.expires_at > Date.now() + 60_000);
    assert.equal(statSync(b.file).mode & 0o777, 0o600);
    assertClean(r, now.access_token, now.refresh_token);
    // The old refresh token was spent: using it again is refused (and ends the whole login, as a
    // stolen token's reuse should), so log in again.
    await assert.rejects(
      b.client.call<TokenResponse>('auth', 'Auth.Token', {
        grant_type: 'refresh_token',
        refresh_token: entry.refresh_token,
      }),
      (err: { code?: number }) => err.code === 400 || err.code === 401,
    );
    const again = await b.run(['login', '--id', 'admin', '--secret-stdin'], b.secret);
    assert.equal(again.code, 0, again.stderr);
  });

  it('two commands that both find the token expiring spend the refresh token once', async () => {
    const all = b.stored();
    const entry = all[b.cp.address]!;
    all[b.cp.address] = { ...entry, expires_at: Date.now() + 10_000 };
    writeFileSync(b.file, JSON.stringify(all));
    const [one, two] = await Promise.all([b.run(['whoami']), b.run(['whoami'])]);
    for (const r of [one, two]) {
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /has ended/);
    }
    // One refresh: the pair it saved is the one both used, and the login lives on.
    const now = b.stored()[b.cp.address]!;
    assert.notEqual(now.refresh_token, entry.refresh_token);
    const later = await b.run(['whoami', '-o', 'json']);
    assert.equal(later.code, 0, later.stderr);
  });

  it('logs out: the refresh token is revoked and the entry removed', async () => {
    const entry = b.stored()[b.cp.address]!;
    const r = await b.run(['logout']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`logged out admin at ${b.cp.address}`));
    assert.equal(b.stored()[b.cp.address], undefined);
    await assert.rejects(
      b.client.call('auth', 'Auth.Token', {
        grant_type: 'refresh_token',
        refresh_token: entry.refresh_token,
      }),
      (err: { code?: number }) => err.code === 400 || err.code === 401,
    );
    const again = await b.run(['logout']);
    assert.match(again.stdout, /not logged in/);
    const who = await b.run(['whoami']);
    assert.equal(errorOf(who).code, 401);
    assert.match(errorOf(who).detail, /micro login/);
  });
});
