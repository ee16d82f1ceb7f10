// The explorer's components alone, on fake stdin and stdout (ink-testing-library).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement as h, useState, type ReactElement } from 'react';
import { Editor } from '../../src/ui/tui/Editor.ts';
import { Footer } from '../../src/ui/tui/Footer.ts';
import type { LiveSource } from '../../src/ui/tui/live-registry.ts';
import { ServiceList, type ListPosition } from '../../src/ui/tui/ServiceList.ts';
import { textBuffer } from '../../src/ui/tui/text-buffer.ts';
import type { ServiceSummary } from '../../src/ui/tui/service-index.ts';
import { frameWith, keys, withView } from '../helpers/ink.ts';

process.env.COLUMNS = '100';
process.env.LINES = '30';

const many: ServiceSummary[] = Array.from({ length: 100 }, (_, i) => ({
  name: `svc-${String(i).padStart(3, '0')}`,
  versions: ['1.0.0'],
  nodes: 1,
  endpoints: 2,
}));

/** A LiveSource that always shows services (and no topics). */
const still = (services: ServiceSummary[]): LiveSource => {
  const shown = {
    services: { value: services, loading: false },
    topics: { value: [], loading: false },
  };
  return { subscribe: () => () => undefined, snapshot: () => shown };
};

/** ServiceList with its position kept in state, as the App keeps it; opened names are recorded. */
function List({ opened, height }: { opened: string[]; height: number }): ReactElement {
  const [position, setPosition] = useState<ListPosition>({
    cursor: 0,
    filter: '',
    filtering: false,
  });
  return h(ServiceList, {
    live: still(many),
    position,
    onPosition: setPosition,
    onOpen: (name: string) => opened.push(name),
    onQuit: () => opened.push('quit'),
    height,
  });
}

describe('explorer components', () => {
  it('ServiceList scrolls to keep the cursor in view, taking keys typed faster than read', async () => {
    const opened: string[] = [];
    await withView(h(List, { opened, height: 12 }), async (view) => {
      let frame = await frameWith(view, '› svc-000');
      assert.ok(!frame.includes('svc-050'), 'a long list shows only what fits');
      assert.equal(frame.split('\n').length, 12, 'the list keeps to its height');
      view.stdin.write('j'.repeat(60)); // one read holding sixty key presses
      frame = await frameWith(view, '› svc-060');
      assert.ok(!frame.includes('svc-000'));
      view.stdin.write(keys.up);
      await frameWith(view, '› svc-059');
      view.stdin.write(keys.enter);
      assert.deepEqual(opened, ['svc-059']);
    });
  });

  it('ServiceList filters as you type after /, and Backspace edits the filter', async () => {
    const opened: string[] = [];
    await withView(h(List, { opened, height: 12 }), async (view) => {
      await frameWith(view, '› svc-000');
      view.stdin.write('/');
      await frameWith(view, 'filter /');
      view.stdin.write('09');
      let frame = await frameWith(view, 'SERVICES (11 of 100)');
      assert.match(frame, /› svc-009/);
      view.stdin.write('9');
      frame = await frameWith(view, 'SERVICES (1 of 100)');
      assert.match(frame, /› svc-099/);
      view.stdin.write('q'); // typed into the filter, not quitting
      await frameWith(view, 'no service matches "099q"');
      view.stdin.write(keys.backspace);
      await frameWith(view, 'SERVICES (1 of 100)');
      view.stdin.write(keys.enter);
      assert.deepEqual(opened, ['svc-099']);
    });
  });

  it('Editor shows the rows around the cursor', async () => {
    const text = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    await withView(
      h(Editor, {
        buffer: { ...textBuffer(text), row: 15, col: 2 },
        title: 't',
        rows: 4,
        focused: true,
      }),
      async (view) => {
        const frame = await frameWith(view, 'line 15');
        assert.ok(!frame.includes('line 0'), 'rows above the window are not drawn');
        assert.equal(frame.split('\n').length, 4 + 3, 'four rows, the title and the border');
      },
    );
  });

  it('Footer lists the keys', async () => {
    await withView(
      h(Footer, {
        keys: [
          ['q', 'quit'],
          ['/', 'filter'],
        ],
      }),
      async (view) => {
        assert.match(await frameWith(view, 'quit'), /q quit\s+\/ filter/);
      },
    );
  });
});

describe('explorer without a registry', () => {
  it('says the registry cannot be reached and keeps trying', async () => {
    const { App } = await import('../../src/ui/tui/App.ts');
    const { createClient, RegistryError } = await import('../../src/runtime/index.ts');
    let lists = 0;
    const down = new RegistryError('MICRO_ERR_REGISTRY_UNAVAILABLE', 'no answer from the registry');
    const registry = {
      name: 'micro',
      address: '127.0.0.1:1',
      register: () => Promise.reject(down),
      deregister: () => Promise.reject(down),
      getService: () => Promise.reject(down),
      listServices: () => {
        lists++;
        return Promise.reject(down);
      },
      // A watch that ends at once, as one does when the control plane is down.
      watch: () => ({ stop() {}, async *[Symbol.asyncIterator]() {} }),
      close: () => Promise.resolve(),
    };
    const client = createClient({ registry });
    const view = render(h(App, { registry, client }));
    try {
      const frame = await frameWith(view, 'the registry cannot be reached; retrying');
      assert.match(frame, /SERVICES \(0\)\s+no answer from the registry/);
      await frameWith(view, () => lists >= 2, 5000);
    } finally {
      view.unmount();
      await client.close();
    }
  });
});
