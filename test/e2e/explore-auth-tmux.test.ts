// `micro explore` in a real terminal (a private tmux server) against a control plane enforcing
// auth, as the account `micro login` stored: the services list loads with that token, and the auth
// screen (Shift-Tab from the services) lists the accounts and the rules, and deletes a rule after a
// y/n question. Logging in happens at the terminal too, the secret not echoed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Rule } from '../../src/platform/auth/auth.ts';
import { startAuthBench, type AuthBench } from '../helpers/auth-cli.ts';
import { bin } from '../helpers/cli.ts';
import { TMUX, tmuxServer } from '../helpers/terminal.ts';

describe('micro explore in tmux: the auth screen, logged in', () => {
  const server = tmuxServer('micro-explore-auth-test');
  let b: AuthBench;
  before(async () => {
    assert.equal(spawnSync(TMUX, ['-V']).status, 0, `${TMUX} is needed for this test`);
    b = await startAuthBench('micro-explore-auth-');
  });
  after(async () => {
    server.stop();
    await b.stop();
  });

  /** micro from source with this Node, in a user's bare environment, at the control plane. */
  const micro = (): string =>
    [
      'env -i',
      `HOME=${b.dataDir}`,
      'TERM=tmux-256color',
      `NODE_COMPILE_CACHE=${join(tmpdir(), 'micro-test-compile-cache')}`,
      `MICRO_CONFIG_DIR=${b.configDir}`,
      `MICRO_REGISTRY_ADDRESS=${b.cp.address}`,
      process.execPath,
      bin,
    ].join(' ');

  it('micro login asks for the id and the secret, and does not echo the secret', async () => {
    const term = server.terminal('login', `${micro()} login`);
    await term.screenWith(/account id:/, 30_000);
    term.type('admin');
    term.keys('Enter');
    await term.screenWith(/secret for admin \(not shown\):/);
    term.type(b.secret);
    term.keys('Enter');
    const rows = await term.screenWith(/exited with \d+/);
    const shown = rows.join('\n');
    assert.match(shown, new RegExp(`logged in as admin at ${b.cp.address}`));
    assert.match(shown, /exited with 0/);
    assert.ok(!shown.includes(b.secret), `the secret was echoed:\n${shown}`);
  });

  it('lists accounts and rules, and deletes a rule after y', async (t) => {
    const added = await b.run([
      'auth',
      'rules',
      'add',
      '--id',
      'tmp-rule',
      '--who',
      'role:dev',
      '--resource',
      'topic:orders:publish',
      '--priority',
      '50',
    ]);
    assert.equal(added.code, 0, added.stderr);
    const term = server.terminal('auth', `${micro()} explore`);
    // The registry answers the stored token: the control plane's own services are listed.
    await term.screenWith(/SERVICES \(\d+\)[\s\S]*registry/, 30_000);

    term.keys('BTab');
    let rows = await term.screenWith(/ACCOUNTS \(\d+\)[\s\S]*admin\s+user\s+admin\s+-\s+active/);
    assert.match(rows[0] ?? '', /^micro explore\s+auth › accounts\s/);
    term.keys('r');
    rows = await term.screenWith(/RULES \(\d+\)[\s\S]*tmp-rule/);
    const shown = rows.join('\n');
    t.diagnostic(`the rules screen:\n${shown.trimEnd()}`);
    // Highest priority first: the admin rule, then the one added.
    assert.match(
      shown,
      /› admin\s+role:admin\s+\*:\*:\*\s+allow\s+100\n\s+tmp-rule\s+role:dev\s+topic:orders:publish\s+allow\s+50/,
    );
    term.keys('j');
    await term.screenWith(/› tmp-rule/);
    term.keys('d');
    await term.screenWith(/delete rule tmp-rule\? y\/n/);
    term.keys('y');
    await term.screenWith((r) => !r.join('\n').includes('tmp-rule'));
    const list = await b.run(['auth', 'rules', 'list', '-o', 'json']);
    assert.ok(!(JSON.parse(list.stdout) as Rule[]).some((r) => r.id === 'tmp-rule'));

    term.keys('q');
    rows = await term.screenWith(/exited with \d+/);
    assert.match(rows.join('\n'), /exited with 0/);
  });
});
