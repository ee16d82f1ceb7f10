// `micro explore` in a real terminal (a private tmux server) against a control plane: Tab leads to
// the store, config and sync screens, which show what was stored, configured and locked over RPC;
// the config screen shows a diff and rolls back after a y/n question.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { microInTerminal } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll } from '../helpers/fixtures.ts';
import type { RunningServer } from '../helpers/server-process.ts';
import { TMUX, tmuxServer } from '../helpers/terminal.ts';

describe('micro explore in tmux: store, config and sync', () => {
  const server = tmuxServer('micro-explore-platform-test');
  let plane: RunningServer;
  let registry: Registry;
  let client: Client;
  let home: string;
  /** micro from source with this Node, in a user's bare environment, pointed at the control plane. */
  let micro: string;
  before(async () => {
    assert.equal(spawnSync(TMUX, ['-V']).status, 0, `${TMUX} is needed for this test`);
    plane = await startTestControlPlane('micro-explore-platform-');
    registry = createMicroRegistry({ address: plane.address });
    client = createClient({ registry, name: 'ops' });
    home = mkdtempSync(join(tmpdir(), 'micro-explore-platform-'));
    micro = microInTerminal(home, plane.address);
  });
  after(async () => {
    server.stop();
    await closeAll(client, registry, plane);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('tabs to store, config and sync, and sees the values, a diff and a rollback', async (t) => {
    await client.call('store', 'Store.Put', {
      database: 'shop',
      table: 'carts',
      key: 'cart/ann',
      value: { items: ['tea'], total: 3 },
    });
    const ns = { namespace: 'billing' };
    await client.call('config', 'Config.Set', { ...ns, path: 'db.pool', value: 5 });
    await client.call('config', 'Config.Set', { ...ns, path: 'db.pool', value: 10 });
    const lock = await client.call<{ token: number }>('sync', 'Sync.Lock', {
      name: 'orders/compact',
      holder: 'worker-7',
      ttl: 60_000,
    });
    await client.call('sync', 'Sync.Campaign', { name: 'scheduler', id: 'node-a', ttl: 60_000 });

    const term = server.terminal('platform', `${micro} explore`);
    await term.screenWith(/SERVICES \(\d+\)/, 30_000);

    // Tab twice: topics, then the store's namespaces; Enter opens one, Enter again a key.
    term.keys('Tab');
    await term.screenWith(/TOPICS/);
    term.keys('Tab');
    let rows = await term.screenWith(/STORE NAMESPACES \(\d+\)[\s\S]*shop\s+carts/);
    assert.match(rows[0] ?? '', /^micro explore\s+store\s/);
    term.keys('Enter');
    rows = await term.screenWith(/KEYS \(1\)[\s\S]*cart\/ann/);
    assert.match(rows[0] ?? '', /store › shop\/carts/);
    term.keys('Enter');
    rows = await term.screenWith(/"total": 3/);
    const shown = rows.join('\n');
    assert.match(shown, /KEY cart\/ann/);
    assert.match(shown, /expires\s+never/);
    assert.match(shown, /"items": \[\s+"tea"\s+\]/);
    term.keys('Escape');
    await term.screenWith(/KEYS \(1\)/);

    // Config: the namespace's tree and history; d diffs v1 to the latest; r rolls back after y.
    term.keys('Tab');
    await term.screenWith(/CONFIG NAMESPACES \(\d+\)[\s\S]*billing/);
    term.keys('Enter');
    rows = await term.screenWith(/TREE billing v2[\s\S]*db\.pool = 10[\s\S]*HISTORY \(2\)/);
    assert.match(rows.join('\n'), /› v2\s+set\s+db\.pool\s+ops/);
    term.keys('j');
    await term.screenWith(/› v1\s+set\s+db\.pool\s+ops/);
    term.keys('d');
    await term.screenWith(/DIFF v1 → latest\s+db\.pool: 5 → 10/);
    term.keys('r');
    await term.screenWith(/roll billing back to v1\? y\/n/);
    term.keys('y');
    await term.screenWith(/rolled back to v1 as v3/);
    rows = await term.screenWith(/TREE billing v3[\s\S]*db\.pool = 5[\s\S]*rollback to v1/);
    assert.match(
      rows.join('\n'),
      new RegExp(`v3\\s+rollback to v1\\s+\\S+\\s+${userInfo().username}\\s`),
    );
    t.diagnostic(`the config screen after the rollback:\n${rows.join('\n').trimEnd()}`);
    const now = await client.call<{ value: unknown }>('config', 'Config.Get', {
      ...ns,
      path: 'db.pool',
    });
    assert.equal(now.value, 5);

    // Sync: the lock someone holds and the election's leader.
    term.keys('Tab');
    rows = await term.screenWith(/LOCKS \(1\)[\s\S]*orders\/compact\s+worker-7\s+\d+\s+in \d+s/);
    const sync = rows.join('\n');
    t.diagnostic(`the sync screen:\n${sync.trimEnd()}`);
    assert.match(sync, new RegExp(`orders/compact\\s+worker-7\\s+${lock.token}\\s`));
    assert.match(sync, /ELECTIONS \(1\)[\s\S]*scheduler\s+node-a\s+\d+\s+\S+( ago)?\s+node-a/);
    assert.match(rows.at(-1) ?? '', /esc services\s+tab views\s+q quit/);

    term.keys('q');
    rows = await term.screenWith(/exited with \d+/);
    assert.match(rows.join('\n'), /exited with 0/);
  });
});
