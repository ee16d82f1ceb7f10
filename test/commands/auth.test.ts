// The auth commands as a user runs them, against a real control plane enforcing auth: login with
// the bootstrap admin secret, the credentials file (0600 in a 0700 folder), whoami, the 401 hint,
// accounts and rules round trips, revoke, keys, a refresh of a token about to expire, logout.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../src/controlplane/index.ts';
import type { Account, Rule, TokenResponse } from '../../src/platform/auth/auth.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { errorOf, micro, type Run } from '../helpers/cli.ts';
import { closeAll, quiet } from '../helpers/fixtures.ts';

interface Stored {
  access_token: string;
  refresh_token: string;
  expires_at: number;
  id: string;
}

describe('micro login, whoami, auth ... against a control plane with auth on', () => {
  let cp: ControlPlane;
  let dataDir: string;
  let configDir: string;
  let secret: string;
  let registry: Registry;
  let client: Client;
  const file = (): string => join(configDir, 'credentials.json');
  const stored = (): Record<string, Stored> =>
    JSON.parse(readFileSync(file(), 'utf8')) as Record<string, Stored>;
  /** micro with the control plane's address and this test's credentials folder. */
  const run = (args: string[], input?: string, env: Record<string, string> = {}): Promise<Run> =>
    micro([...args, '--registry-address', cp.address], {
      input,
      env: { MICRO_CONFIG_DIR: configDir, ...env },
    });
  /** Nothing printed holds a token or a secret. */
  const clean = (r: Run, ...secrets: string[]): void => {
    for (const s of secrets) {
      assert.ok(!r.stdout.includes(s), `stdout shows a secret:\n${r.stdout}`);
      assert.ok(!r.stderr.includes(s), `stderr shows a secret:\n${r.stderr}`);
    }
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'micro-auth-cli-'));
    configDir = join(dataDir, 'config');
    cp = await startControlPlane({ address: '127.0.0.1:0', dataDir, logger: quiet, auth: true });
    assert.ok(cp.adminSecret, 'the first start with auth on makes an admin secret');
    secret = cp.adminSecret;
    registry = createMicroRegistry({ address: cp.address });
    client = createClient({ registry });
  });
  after(async () => {
    await closeAll(client, registry, cp);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a command with no login with a 401 that says to log in', async () => {
    const r = await run(['list', 'services']);
    assert.equal(r.code, 1);
    const e = errorOf(r);
    assert.equal(e.code, 401);
    assert.match(e.detail, /micro login/);
  });

  it('logs in with the secret on stdin, into a 0600 file in a 0700 folder', async () => {
    const wrong = await run(['login', '--id', 'admin', '--secret-stdin'], 'not-the-secret-1\n');
    assert.equal(wrong.code, 1);
    assert.equal(errorOf(wrong).code, 401);
    assert.match(errorOf(wrong).detail, /id or secret is wrong/);

    const r = await run(['login', '--id', 'admin', '--secret-stdin'], `${secret}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`logged in as admin at ${cp.address}`));
    assert.equal(statSync(file()).mode & 0o777, 0o600);
    assert.equal(statSync(configDir).mode & 0o777, 0o700);
    const entry = stored()[cp.address];
    assert.ok(entry, 'an entry for the registry address');
    assert.equal(entry.id, 'admin');
    assert.ok(entry.expires_at > Date.now());
    assert.ok(!readFileSync(file(), 'utf8').includes(secret), 'the secret is not stored');
    clean(r, secret, entry.access_token, entry.refresh_token);
  });

  it('without a terminal and without --secret-stdin, says how to give the secret', async () => {
    const r = await run(['login', '--id', 'admin']);
    assert.equal(r.code, 1);
    assert.equal(errorOf(r).code, 400);
    assert.match(errorOf(r).detail, /--secret-stdin/);
  });

  it('whoami names the account; other commands now work with the stored token', async () => {
    const r = await run(['whoami']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /id:\s+admin/);
    assert.match(r.stdout, /roles:\s+admin/);
    const j = await run(['whoami', '-o', 'json']);
    const me = JSON.parse(j.stdout) as Account;
    assert.equal(me.id, 'admin');
    assert.equal(me.type, 'user');
    const entry = stored()[cp.address]!;
    clean(j, entry.access_token, entry.refresh_token);
    const list = await run(['list', 'services']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /registry/);
  });

  it('completes the auth commands, account ids and rule ids on TAB', async () => {
    const tab = async (...words: string[]): Promise<string[]> => {
      const r = await micro(
        ['--get-yargs-completions', 'micro', '--registry-address', cp.address, ...words],
        { env: { MICRO_CONFIG_DIR: configDir, MICRO_COMPLETION_TIMEOUT: '5000' } },
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

  it('creates, lists, changes and deletes an account; the secret is shown once', async () => {
    const made = await run(['auth', 'accounts', 'create', 'ann', '--role', 'dev', '-o', 'json']);
    assert.equal(made.code, 0, made.stderr);
    const { account, secret: annSecret } = JSON.parse(made.stdout) as {
      account: Account;
      secret: string;
    };
    assert.deepEqual(account.roles, ['dev']);
    assert.ok(annSecret.length >= 12);
    assert.match(made.stderr, /not shown again/);

    const list = await run(['auth', 'accounts', 'list']);
    assert.match(list.stdout, /^ann\s+user\s+dev\s+-\s+\S+\s+active$/m);
    clean(list, annSecret);
    const got = await run(['auth', 'accounts', 'get', 'ann', '-o', 'json']);
    assert.equal((JSON.parse(got.stdout) as Account).id, 'ann');
    clean(got, annSecret);

    const changed = await run([
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
    const nothing = await run(['auth', 'accounts', 'update', 'ann']);
    assert.equal(errorOf(nothing).code, 400);

    const bad = await run(['auth', 'accounts', 'create', 'no spaces allowed']);
    assert.equal(bad.code, 1);
    assert.equal(errorOf(bad).code, 400);

    // ann logs in (in her own folder) and is who she says.
    const annDir = join(dataDir, 'ann');
    const login = await run(['login', '--id', 'ann', '--secret-stdin'], annSecret, {
      MICRO_CONFIG_DIR: annDir,
    });
    assert.equal(login.code, 0, login.stderr);
    const who = await run(['whoami', '-o', 'json'], undefined, { MICRO_CONFIG_DIR: annDir });
    assert.equal((JSON.parse(who.stdout) as Account).id, 'ann');
    // ann may not manage accounts: a 403, not a login hint.
    const denied = await run(['auth', 'accounts', 'list'], undefined, { MICRO_CONFIG_DIR: annDir });
    assert.equal(errorOf(denied).code, 403);

    const gone = await run(['auth', 'accounts', 'delete', 'ann']);
    assert.equal(gone.code, 0, gone.stderr);
    const missing = await run(['auth', 'accounts', 'get', 'ann']);
    assert.equal(errorOf(missing).code, 404);
  });

  it('adds, lists and deletes a rule', async () => {
    const added = await run([
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
    const list = await run(['auth', 'rules', 'list']);
    assert.match(list.stdout, /^dev-greeter\s+role:dev\s+service:greeter:\*\s+allow\s+10$/m);
    const json = await run(['auth', 'rules', 'list', '-o', 'json']);
    const rule = (JSON.parse(json.stdout) as Rule[]).find((r) => r.id === 'dev-greeter');
    assert.deepEqual(rule?.resource, { kind: 'service', name: 'greeter', action: '*' });

    const bad = await run(['auth', 'rules', 'add', '--who', 'role:dev', '--resource', 'nonsense']);
    assert.equal(errorOf(bad).code, 400);
    assert.match(errorOf(bad).detail, /kind:name:action/);

    const del = await run(['auth', 'rules', 'delete', 'dev-greeter']);
    assert.equal(del.code, 0, del.stderr);
    const after = await run(['auth', 'rules', 'list', '-o', 'json']);
    assert.ok(!(JSON.parse(after.stdout) as Rule[]).some((r) => r.id === 'dev-greeter'));
  });

  it('lists and rotates keys; auth token prints a token that works as MICRO_AUTH_TOKEN', async () => {
    const before = JSON.parse((await run(['auth', 'keys', 'list', '-o', 'json'])).stdout) as {
      keys: unknown[];
    };
    const rotated = await run(['auth', 'keys', 'rotate', '-o', 'json']);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.equal(
      (JSON.parse(rotated.stdout) as { keys: unknown[] }).keys.length,
      before.keys.length + 1,
    );

    const t = await run(['auth', 'token']);
    assert.equal(t.code, 0, t.stderr);
    const token = t.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    // With the token in the environment and no stored login, a command works.
    const other = await run(['whoami', '-o', 'json'], undefined, {
      MICRO_CONFIG_DIR: join(dataDir, 'nobody'),
      MICRO_AUTH_TOKEN: token,
    });
    assert.equal((JSON.parse(other.stdout) as Account).id, 'admin');
  });

  it('refreshes a stored token that expires within a minute, and saves the new pair', async () => {
    const entry = stored()[cp.address]!;
    const all = stored();
    all[cp.address] = { ...entry, expires_at: Date.now() + 30_000 };
    writeFileSync(file(), JSON.stringify(all));
    const r = await run(['whoami', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const now = stored()[cp.address]!;
    assert.notEqual(now.refresh_token, entry.refresh_token);
    assert.notEqual(now.access_token, entry.access_token);
    assert.ok(now.expires_at > Date.now() + 60_000);
    assert.equal(statSync(file()).mode & 0o777, 0o600);
    clean(r, now.access_token, now.refresh_token);
    // The old refresh token was spent.
    await assert.rejects(
      client.call<TokenResponse>('auth', 'Auth.Token', {
        grant_type: 'refresh_token',
        refresh_token: entry.refresh_token,
      }),
      (err: { code?: number }) => err.code === 400 || err.code === 401,
    );
  });

  it('revokes every token of an account', async () => {
    await run(
      ['auth', 'accounts', 'create', 'bot', '--type', 'service', '--secret-stdin'],
      'bot-secret-123456',
    );
    const botDir = join(dataDir, 'bot');
    const login = await run(['login', '--id', 'bot', '--secret-stdin'], 'bot-secret-123456', {
      MICRO_CONFIG_DIR: botDir,
    });
    assert.equal(login.code, 0, login.stderr);
    const r = await run(['auth', 'revoke', '--account', 'bot']);
    assert.equal(r.code, 0, r.stderr);
    // Verifiers refuse it within a refresh (2 s): bounded retries.
    let last: Run | undefined;
    for (let i = 0; i < 20; i++) {
      last = await run(['list', 'services'], undefined, {
        MICRO_CONFIG_DIR: botDir,
        MICRO_AUTH_TOKEN: (
          JSON.parse(readFileSync(join(botDir, 'credentials.json'), 'utf8')) as Record<
            string,
            Stored
          >
        )[cp.address]!.access_token,
      });
      if (last.code !== 0) break;
    }
    assert.equal(errorOf(last!).code, 401);
    assert.match(errorOf(last!).detail, /micro login/);
  });

  it('logs out: the refresh token is revoked and the entry removed', async () => {
    const entry = stored()[cp.address]!;
    const r = await run(['logout']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`logged out admin at ${cp.address}`));
    assert.equal(stored()[cp.address], undefined);
    await assert.rejects(
      client.call('auth', 'Auth.Token', {
        grant_type: 'refresh_token',
        refresh_token: entry.refresh_token,
      }),
      (err: { code?: number }) => err.code === 400 || err.code === 401,
    );
    const again = await run(['logout']);
    assert.match(again.stdout, /not logged in/);
    const who = await run(['whoami']);
    assert.equal(errorOf(who).code, 401);
    assert.match(errorOf(who).detail, /micro login/);
  });
});
