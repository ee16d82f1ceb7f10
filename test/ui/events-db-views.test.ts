// The explorer's events and db screens on a fake terminal (ink-testing-library) against the
// in-memory engines: Tab reaches them after sync; the db screen goes from collections to records
// to a record's JSON; the events screen shows the platform's events live, newest first, narrowed by
// a typed filter, with the topics and groups below; remote text cannot drive the terminal.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import { createMemoryDb } from '../../src/platform/db/index.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { createMemoryEvents } from '../../src/platform/events/index.ts';
import type { Events } from '../../src/platform/events/events.ts';
import { createMemoryRegistry } from '../../src/registry/index.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { App } from '../../src/ui/tui/App.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { frameWith, keys, press } from '../helpers/ink.ts';
import { controls } from '../helpers/terminal.ts';

process.env.COLUMNS = '110';
process.env.LINES = '30';

describe('micro explore: events and db screens (fake terminal)', () => {
  let registry: Registry;
  let client: Client;
  let db: Db;
  let events: Events;
  before(async () => {
    events = createMemoryEvents();
    await events.publish('micro.registry', {
      action: 'register',
      service: 'greeter',
      summary: 'greeter 1.0.0 node greeter-1 up at 127.0.0.1:1',
    });
    // The screen orders by time: the next event must not share this one's millisecond.
    for (const t = Date.now(), end = t + 1000; Date.now() <= t && Date.now() < end;)
      await new Promise((r) => setImmediate(r));
    await events.publish('micro.config', {
      action: 'set',
      namespace: 'billing',
      summary: 'billing db.pool set by ann (v1)',
    });
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
    db = createMemoryDb();
    await db.createIndex('orders', { fields: ['status'] }, { database: 'shop' });
    await db.create('orders', { total: 3, status: 'open' }, { database: 'shop', id: 'o1' });
    await db.create('orders', { total: 9, status: 'paid' }, { database: 'shop', id: 'o2' });
    await db.create(
      'orders',
      { note: 'evil\u001b[2J\u001b]0;owned\u0007' },
      { database: 'shop', id: 'o3\u001b[31m' },
    );
  });
  after(() => closeAll(db, events, client, registry));

  it('tabs to the events screen: the platform events live, a filter, topics and groups', async () => {
    const sub = await events.subscribe('orders', { group: 'billing', start: 'earliest' });
    await events.publish('orders', { n: 1 });
    await sub[Symbol.asyncIterator]().next();
    const view = render(h(App, { registry, client, events }));
    try {
      await frameWith(view, /SERVICES/);
      await press(view, '\t', '\t', '\t', '\t', '\t');
      let frame = await frameWith(
        view,
        /PLATFORM EVENTS \(2\)[\s\S]*config\s+set\s+billing db\.pool set by ann[\s\S]*registry\s+register\s+greeter 1\.0\.0/,
      );
      assert.match(frame, /TOPICS \(3\)[\s\S]*micro\.config\s+1-1\s+1\s/);
      assert.match(frame, /GROUPS \(1\)[\s\S]*orders\s+billing\s+0\s+1\s+1\s+1\s+0/);
      // A new event shows at the top, live.
      await events.publish('micro.sync', {
        action: 'lock',
        name: 'orders/compact',
        summary: 'lock orders/compact taken by w1\u001b[2J',
      });
      frame = await frameWith(
        view,
        /PLATFORM EVENTS \(3\)\s[\s\S]*TIME[^\n]*\n\s+\S+\s+sync\s+lock\s+lock orders\/compact taken by w1\\u001b\[2J/,
      );
      // eslint-disable-next-line no-control-regex
      assert.deepEqual(controls(frame.replace(/\u001b\[[0-9;]*m/g, '')), [], 'no raw controls');
      // Typing a filter keeps Tab from leaving, and narrows the lines.
      await press(view, '/', 'g', 'r', 'e', 'e', 't', '\t');
      frame = await frameWith(view, /PLATFORM EVENTS \(1\)\s+filter \/greet/);
      assert.match(frame, /register\s+greeter/);
      assert.doesNotMatch(frame, /db\.pool set/);
      assert.match(frame, /type filter\s+enter done\s+esc clear/);
      await press(view, keys.enter);
      await frameWith(view, /↑↓\/jk scroll\s+\/ filter\s+esc services/);
      await press(view, keys.escape);
      await frameWith(view, /PLATFORM EVENTS \(3\)/);
      await press(view, '\t');
      await frameWith(view, /DB COLLECTIONS/);
    } finally {
      view.unmount();
      await sub.stop();
    }
  });

  it('tabs to the db screen: collections, records, a record', async () => {
    const view = render(h(App, { registry, client, db }));
    try {
      await frameWith(view, /SERVICES/);
      await press(view, '\t', '\t', '\t', '\t', '\t', '\t');
      let frame = await frameWith(
        view,
        /DB COLLECTIONS \(1\)[\s\S]*shop\s+orders\s+3\s+status\(status\)/,
      );
      await press(view, keys.enter);
      frame = await frameWith(
        view,
        /RECORDS \(3\)[\s\S]*o1\s+1\s+\S+ ago\s+\{"total":3,"status":"open"\}/,
      );
      assert.match(frame, /micro explore\s+db › shop\/orders/);
      // eslint-disable-next-line no-control-regex
      assert.deepEqual(controls(frame.replace(/\u001b\[[0-9;]*m/g, '')), [], 'no raw controls');
      assert.match(frame, /o3\\u001b\[31m/);
      await press(view, 'j', keys.enter);
      frame = await frameWith(view, /RECORD o2[\s\S]*version\s+1[\s\S]*"total": 9/);
      assert.match(frame, /"status": "paid"/);
      await press(view, keys.escape);
      await frameWith(view, /RECORDS \(3\)/);
      await press(view, keys.escape);
      await frameWith(view, /DB COLLECTIONS/);
      // Tab: the auth screen, then round to the services.
      await press(view, '\t');
      await frameWith(view, /ACCOUNTS \(0\)/);
      await press(view, '\t');
      await frameWith(view, /SERVICES/);
    } finally {
      view.unmount();
    }
  });

  it('says so when started without the events or db area', async () => {
    const view = render(h(App, { registry, client }));
    try {
      await frameWith(view, /SERVICES/);
      // Shift-Tab: the auth screen (the last), then the db screen.
      await press(view, '\u001b[Z');
      await frameWith(view, /ACCOUNTS \(0\)/);
      await press(view, '\u001b[Z');
      await frameWith(
        view,
        /DB COLLECTIONS \(0\)\s+501 this explorer was started without the db area/,
      );
      await press(view, '\u001b[Z');
      await frameWith(view, /PLATFORM EVENTS \(0\)\s+no events area/);
    } finally {
      view.unmount();
    }
  });
});
