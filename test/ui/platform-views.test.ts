// The explorer's store, config and sync screens on a fake terminal (ink-testing-library) against a
// real control plane: Tab reaches them, the store's keys narrow by prefix, remote text cannot drive
// the terminal, and a failed read says why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { App } from '../../src/ui/tui/App.ts';
import { treeLines } from '../../src/ui/tui/ConfigView.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { frameWith, keys, press } from '../helpers/ink.ts';
import type { RunningServer } from '../helpers/server-process.ts';
import { controls } from '../helpers/terminal.ts';

process.env.COLUMNS = '100';
process.env.LINES = '30';

describe('micro explore: store, config and sync screens (fake terminal)', () => {
  let plane: RunningServer;
  let registry: Registry;
  let client: Client;
  const ns = { database: 'shop', table: 'carts' };
  before(async () => {
    plane = await startTestControlPlane('micro-explore-views-');
    registry = createMicroRegistry({ address: plane.address });
    client = createClient({ registry, name: 'ops' });
    for (const key of ['a/1', 'a/2', 'b/1'])
      await client.call('store', 'Store.Put', { ...ns, key, value: { key } });
    await client.call('store', 'Store.Put', {
      ...ns,
      key: 'evil\u001b[2J\u001b]0;owned\u0007',
      value: 'x\u001b[31m',
    });
  });
  after(() => closeAll(client, registry, plane));

  it('narrows the keys by a typed prefix, and shows remote text escaped', async () => {
    const view = render(h(App, { registry, client }));
    try {
      await frameWith(view, /SERVICES \(\d+\)/);
      await press(view, '\t');
      await frameWith(view, /TOPICS/);
      await press(view, '\t');
      await frameWith(view, /STORE NAMESPACES \(1\)[\s\S]*shop\s+carts/);
      await press(view, keys.enter);
      let frame = await frameWith(view, /KEYS \(4\)/);
      assert.match(
        frame,
        /evil\\u001b\[2J\\u001b\]0;owned\\u0007/,
        'the key, its controls escaped',
      );
      // The explorer's own colours (SGR) aside.
      // eslint-disable-next-line no-control-regex
      assert.deepEqual(controls(frame.replace(/\u001b\[[0-9;]*m/g, '')), [], 'no raw controls');

      await press(view, '/', 'b');
      frame = await frameWith(view, /KEYS \(1\)\s+prefix \/b/);
      assert.match(frame, /› b\/1/);
      assert.doesNotMatch(frame, /a\/1/);
      assert.match(frame, /type prefix\s+enter done\s+esc clear/);
      await press(view, keys.enter, keys.enter);
      frame = await frameWith(view, /KEY b\/1[\s\S]*"key": "b\/1"/);
      assert.match(frame, /expires\s+never/);

      // Back to the keys, the prefix cleared with Esc, and Shift-Tab back to topics.
      await press(view, keys.escape);
      await frameWith(view, /KEYS \(1\)/);
      await press(view, '/', keys.escape);
      await frameWith(view, /KEYS \(4\)/);
      await press(view, keys.escape);
      await frameWith(view, /STORE NAMESPACES/);
      await press(view, '\u001b[Z');
      await frameWith(view, /TOPICS/);
    } finally {
      view.unmount();
    }
  });

  it('says why when the sync service cannot be read, and lists the config namespaces', async () => {
    // A client whose calls to sync fail: the screen shows the error instead of rows.
    const failing = Object.create(client) as Client;
    failing.call = async (service, ...rest) => {
      if (service === 'sync') throw Object.assign(new Error('down'), { code: 503 });
      return client.call(service, ...rest);
    };
    await client.call('config', 'Config.Set', { namespace: 'billing', path: 'db.pool', value: 5 });
    const view = render(h(App, { registry, client: failing }));
    try {
      await frameWith(view, /SERVICES/);
      await press(view, '\t', '\t', '\t');
      await frameWith(view, /CONFIG NAMESPACES \(1\)[\s\S]*billing/);
      await press(view, '\t');
      const frame = await frameWith(view, /LOCKS \(0\)\s+500 down/);
      assert.match(frame, /esc services\s+tab views\s+q quit/);
    } finally {
      view.unmount();
    }
  });

  it('lays a tree out as one path = value line per leaf', () => {
    assert.deepEqual(treeLines({ db: { pool: 5, host: 'h' }, flags: [1], empty: {} }), [
      'db.host = "h"',
      'db.pool = 5',
      'empty = {}',
      'flags = [1]',
    ]);
    assert.deepEqual(treeLines(7), ['(root) = 7']);
  });
});
