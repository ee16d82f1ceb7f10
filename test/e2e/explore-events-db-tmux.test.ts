// `micro explore` in a real terminal (a private tmux server) against a control plane: Tab leads past
// sync to the events screen (a service coming up, as the control plane publishes it on
// micro.registry; the topics and groups; a typed filter) and the db screen (collections, records, a record's JSON), all written
// over RPC as any service would.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMicroDb } from '../../src/platform/db/index.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { createMicroEvents } from '../../src/platform/events/index.ts';
import type { Events } from '../../src/platform/events/events.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { microInTerminal } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, greeterService } from '../helpers/fixtures.ts';
import type { RunningServer } from '../helpers/server-process.ts';
import { TMUX, tmuxServer } from '../helpers/terminal.ts';

describe('micro explore in tmux: events and db', () => {
  const server = tmuxServer('micro-explore-events-db-test');
  let plane: RunningServer;
  let registry: Registry;
  let client: Client;
  let events: Events;
  let db: Db;
  let home: string;
  /** micro from source with this Node, in a user's bare environment, pointed at the control plane. */
  let micro: string;
  before(async () => {
    assert.equal(spawnSync(TMUX, ['-V']).status, 0, `${TMUX} is needed for this test`);
    plane = await startTestControlPlane('micro-explore-events-db-');
    registry = createMicroRegistry({ address: plane.address });
    client = createClient({ registry, name: 'ops' });
    events = createMicroEvents({ client });
    db = createMicroDb({ client });
    home = mkdtempSync(join(tmpdir(), 'micro-explore-events-db-'));
    micro = microInTerminal(home, plane.address);
  });
  after(async () => {
    server.stop();
    await closeAll(events, db, client, registry, plane);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('tabs to events and db, and sees the topics, groups, records and a record', async (t) => {
    await db.create('orders', { total: 3, status: 'open' }, { database: 'shop', id: 'o1' });
    await db.create('orders', { total: 9, status: 'paid' }, { database: 'shop', id: 'o2' });
    await events.publish('orders', { n: 1 });
    await events.publish('orders', { n: 2 });
    const sub = await events.subscribe('orders', { group: 'billing', start: 'earliest' });
    await sub[Symbol.asyncIterator]().next();
    const greeter = greeterService(registry);
    await greeter.start();
    try {
      const term = server.terminal('events-db', `${micro} explore`);
      await term.screenWith(/SERVICES \(\d+\)/, 30_000);
      // Services, topics, store, config, sync, then events: one Tab per screen drawn.
      for (const next of [/TOPICS/, /STORE NAMESPACES/, /CONFIG NAMESPACES/, /LOCKS/]) {
        term.keys('Tab');
        await term.screenWith(next);
      }
      term.keys('Tab');
      let rows = await term.screenWith(
        /PLATFORM EVENTS \(\d+\)[\s\S]*registry\s+register\s+greeter 1\.0\.0[\s\S]*TOPICS \(\d+\)[\s\S]*orders\s+1-2\s+2\s[\s\S]*GROUPS \(1\)[\s\S]*orders\s+billing\s+0\s+2\s+2\s+1\s+0/,
      );
      assert.match(rows[0] ?? '', /^micro explore\s+events\s/);
      t.diagnostic(`the events screen:\n${rows.join('\n').trimEnd()}`);
      term.keys('/');
      await term.screenWith(/filter \//);
      term.keys('x', 'y', 'z');
      rows = await term.screenWith(/PLATFORM EVENTS \(0\)\s+filter \/xyz/);
      assert.match(rows.join('\n'), /no platform event matches "xyz"/);
      assert.match(rows.at(-1) ?? '', /type filter\s+enter done\s+esc clear/);
      term.keys('Escape');
      await term.screenWith(/↑↓\/jk scroll\s+\/ filter\s+esc services/);

      // The db: collections, records, a record.
      term.keys('Tab');
      rows = await term.screenWith(/DB COLLECTIONS \(\d+\)[\s\S]*shop\s+orders\s+2\s/);
      term.keys('Enter');
      rows = await term.screenWith(
        /RECORDS \(2\)[\s\S]*o1\s+1\s+\S+ ago\s+\{"total":3,"status":"open"\}/,
      );
      assert.match(rows[0] ?? '', /db › shop\/orders/);
      term.keys('j');
      await term.screenWith(/› o2\s/);
      term.keys('Enter');
      rows = await term.screenWith(/RECORD o2[\s\S]*"total": 9/);
      t.diagnostic(`the record screen:\n${rows.join('\n').trimEnd()}`);
      assert.match(rows.join('\n'), /version\s+1/);
      term.keys('Escape');
      await term.screenWith(/RECORDS \(2\)/);
      term.keys('q');
      rows = await term.screenWith(/exited with \d+/);
      assert.match(rows.join('\n'), /exited with 0/);
    } finally {
      await greeter.stop();
      await sub.stop();
    }
  });
});
