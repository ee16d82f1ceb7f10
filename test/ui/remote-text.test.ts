// The explorer never draws a control character from remote data: names, metadata, schemas,
// responses and errors show their escapes (\u001b) instead of moving the cursor or recolouring.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client, Registry, RegistryService as Service } from '../../src/runtime/index.ts';
import { frameWith, keys, press } from '../helpers/ink.ts';

// ink (chalk) decides on colours when it loads: none, so any ESC in a frame came from the data.
process.env.FORCE_COLOR = '0';
process.env.COLUMNS = '140';
process.env.LINES = '40';
const [{ render }, { createElement: h }, { App }] = await Promise.all([
  import('ink-testing-library'),
  import('react'),
  import('../../src/ui/tui/App.ts'),
]);

const NASTY = '\u001b[2J\u001b[31m\u009b1m\u001b]0;pwned\u0007\u202e';

/** Control characters a terminal acts on: all C0 but \n, DEL, C1, bidi overrides. */
const controls = (text: string): string[] =>
  [...text].filter((c) => {
    const n = c.codePointAt(0) ?? 0;
    return (n < 0x20 && n !== 0x0a) || (n >= 0x7f && n <= 0x9f) || (n >= 0x202a && n <= 0x202e);
  });

// As an engine written by someone else could hand it over, had it not been checked.
const hostile: Service = {
  name: `evil${NASTY}`,
  version: `1${NASTY}`,
  metadata: { note: NASTY },
  endpoints: [
    {
      name: `Say.Hello${NASTY}`,
      request: { type: 'object', properties: { [`f${NASTY}`]: { type: 'string' } } },
      metadata: { note: NASTY },
    },
  ],
  nodes: [{ id: `n${NASTY}`, address: `127.0.0.1:1${NASTY}`, metadata: { zone: NASTY } }],
};

/** A registry that hands out the hostile record and never changes. */
const registry = {
  name: `fake${NASTY}`,
  address: 'here',
  listServices: async () => [hostile],
  getService: async () => [hostile],
  watch: () => ({
    stop() {},
    [Symbol.asyncIterator]: () => ({ next: () => new Promise<never>(() => {}) }),
  }),
} as unknown as Registry;

let calls = 0;

/** A client whose health checks fail with a hostile error and whose calls answer hostile JSON. */
const client = {
  call: async () => {
    throw Object.assign(new Error('x'), { id: 'x', code: 500, detail: `down${NASTY}` });
  },
  // The first call answers, the next fails.
  request: async () => {
    if (calls++ === 0) return { body: { msg: NASTY }, node: { address: `127.0.0.1:1${NASTY}` } };
    throw Object.assign(new Error('x'), { id: 'x', code: 502, detail: `broken${NASTY}` });
  },
} as unknown as Client;

describe('micro explore with hostile remote text', () => {
  it('shows the list, the service, a response and an error with their escapes visible', async () => {
    const view = render(h(App, { registry, client }));
    try {
      let frame = await frameWith(view, 'evil\\u001b[2J');
      assert.deepEqual(controls(frame), [], 'the services list');
      await press(view, keys.enter);
      frame = await frameWith(view, /ENDPOINTS \(1\)/);
      assert.deepEqual(controls(frame), [], 'the service view');
      assert.match(frame, /note=\\u001b\[2J/);
      await press(view, 'c');
      frame = await frameWith(view, 'request (JSON)');
      await press(view, keys.ctrlS);
      frame = await frameWith(view, /200 OK/);
      assert.deepEqual(controls(frame), [], 'the call view and its response');
      await press(view, keys.ctrlS);
      frame = await frameWith(view, /broken\\u001b\[2J/);
      assert.deepEqual(controls(frame), [], 'the call view and its error');
    } finally {
      view.unmount();
    }
  });
});
