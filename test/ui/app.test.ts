// The explorer's App on fake stdin and stdout (ink-testing-library), against a real greeter that
// registers in an in-process registry and answers over TCP on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import {
  createClient,
  createMemoryRegistry,
  createService,
  type Client,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { App, type AppProps } from '../../src/ui/tui/App.ts';
import { closeAll, quiet, record, sayHello, streamHandlers } from '../helpers/fixtures.ts';
import { frameWith, keys, press } from '../helpers/ink.ts';

// ink sizes the screen from the terminal; the fake one has 100 columns and takes its rows from here.
process.env.COLUMNS = '100';
process.env.LINES = '30';

/** Renders the App with `props`, runs `use` on it, and unmounts it even when `use` fails. */
async function explore(
  props: AppProps,
  use: (view: ReturnType<typeof render>) => Promise<void>,
): Promise<void> {
  const view = render(h(App, props));
  try {
    await use(view);
  } finally {
    view.unmount();
  }
}

/** A registry whose watches are counted, to see that quitting stops them. */
function counting(registry: Registry): Registry & { open: () => number } {
  let open = 0;
  return Object.assign(Object.create(registry) as Registry, {
    watch: (options?: Parameters<Registry['watch']>[0]) => {
      const w = registry.watch(options);
      open++;
      let stopped = false;
      return {
        stop: () => {
          if (!stopped) open--;
          stopped = true;
          w.stop();
        },
        [Symbol.asyncIterator]: () => w[Symbol.asyncIterator](),
      };
    },
    open: () => open,
  });
}

describe('micro explore (App, fake terminal)', () => {
  let registry: ReturnType<typeof counting>;
  let greeter: Service;
  let client: Client;
  before(async () => {
    registry = counting(createMemoryRegistry());
    greeter = createService({
      name: 'greeter',
      version: '1.0.0',
      metadata: { team: 'core' },
      address: '127.0.0.1:0',
      registry,
      handleSignals: false,
      logger: quiet,
    });
    const { Count, Shout } = streamHandlers();
    greeter.handle('Say', { Hello: sayHello(), Count, Shout });
    await greeter.start();
    client = createClient({ registry });
  });
  after(() => closeAll(client, greeter, registry));

  it('lists services live, filters after /, and clears the filter with Esc', async () => {
    await explore({ registry, client }, async (view) => {
      let frame = await frameWith(view, /greeter\s+1\.0\.0\s+1\s+3/);
      assert.match(frame, /SERVICES \(1\)/);
      assert.match(frame, /NAME\s+VERSIONS\s+NODES\s+ENDPOINTS/);
      assert.match(
        frame,
        /↑↓\/jk move\s+enter open\s+\/ filter\s+t topics\s+r routes\s+m mcp\s+b bot\s+tab views\s+q quit/,
        'the footer',
      );

      // A service registering while the list is open shows up without a key press.
      const billing = record('billing', { version: '2.1.0', address: '127.0.0.1:1' });
      await registry.register(billing);
      frame = await frameWith(view, /billing\s+2\.1\.0\s+1/);
      assert.match(frame, /SERVICES \(2\)/);

      await press(view, '/', 'b', 'i', 'l');
      frame = await frameWith(view, 'filter /bil');
      assert.match(frame, /SERVICES \(1 of 2\)/);
      assert.doesNotMatch(frame, /greeter/);
      assert.match(frame, /esc clear filter/);

      await press(view, keys.escape);
      frame = await frameWith(view, (f) => f.includes('SERVICES (2)') && !f.includes('filter /'));
      assert.match(frame, /greeter/);

      await registry.deregister(billing);
      await frameWith(view, (f) => !f.includes('billing'));
    });
  });

  it('shows the topics on t, live, apart from the services, and goes back on s or Esc', async () => {
    const notify = createService({
      name: 'notify',
      address: '127.0.0.1:0',
      registry,
      handleSignals: false,
      logger: quiet,
    }).subscribe('orders.created', async () => {}, { queue: 'workers' });
    try {
      await explore({ registry, client }, async (view) => {
        await notify.start();
        await frameWith(view, /notify\s+latest\s+1/);
        await press(view, 't');
        let frame = await frameWith(view, /orders\.created\s+1\s+workers\s+notify/);
        assert.match(frame, /^micro explore\s+topics/m);
        assert.match(frame, /TOPICS \(1\)/);
        assert.match(frame, /TOPIC\s+SUBSCRIBERS\s+QUEUES\s+SERVICES/);
        assert.match(frame, /↑↓\/jk move\s+s\/esc services\s+tab views\s+q quit/, 'the footer');
        await press(view, 's');
        frame = await frameWith(view, /notify\s+latest\s+1/);
        assert.doesNotMatch(frame, /topic:/, 'no topic entry among the services');
        await press(view, 't');
        await frameWith(view, 'TOPICS (1)');
        await notify.stop();
        await frameWith(view, 'no topic has subscribers yet');
        await press(view, keys.escape);
        await frameWith(view, /SERVICES \(\d\)/);
      });
    } finally {
      await notify.stop();
    }
  });

  it('shows a service: versions, nodes with address, metadata and health, endpoints with schemas', async () => {
    await explore({ registry, client }, async (view) => {
      await frameWith(view, 'greeter');
      await press(view, keys.enter);
      const frame = await frameWith(view, /ok \d/);
      assert.match(frame, /services › greeter/);
      assert.match(frame, /VERSIONS \(1\)\s+1\.0\.0\s+1 node\s+team=core/);
      assert.match(frame, /NODES \(1\)/);
      assert.match(frame, /ID\s+VERSION\s+ADDRESS\s+HEALTH\s+METADATA/);
      assert.ok(frame.includes(greeter.server.id), 'the node id');
      assert.ok(frame.includes(greeter.server.address), 'the node address');
      assert.match(frame, /ENDPOINTS \(3\)/);
      assert.match(frame, /› Say\.Count\s+stream=server/);
      assert.match(frame, /Say\.Shout\s+stream=bidi/);

      await press(view, 'j');
      const hello = await frameWith(view, '› Say.Hello');
      assert.match(
        hello,
        /│ request\n.*│ {3}\{ name: string \}\n.*│ response\n.*│ {3}\{ msg\?: string \}/,
      );

      await press(view, keys.backspace);
      await frameWith(view, /SERVICES \(1\)/);
    });
  });

  it('calls Say.Hello from an editor pre-filled from the request schema', async () => {
    await explore({ registry, client, service: 'greeter' }, async (view) => {
      await frameWith(view, '› Say.Count');
      await press(view, 'j', 'c');
      let frame = await frameWith(view, 'request (JSON)');
      assert.match(frame, /greeter › Say\.Hello\s+request\/response/);
      assert.match(frame, /"name": ""/, 'a skeleton of the request schema');
      assert.match(frame, /not sent yet/);
      assert.match(frame, /ctrl-s send\s+ctrl-u clear\s+esc back/);

      // The cursor starts inside the first empty string.
      await press(view, 'A', 'n', 'n', keys.ctrlS);
      frame = await frameWith(view, /RESPONSE\s+200 OK\s+[\d.]+ m?s\s+from 127\.0\.0\.1:\d+/);
      assert.match(frame, /"msg": "Hello Ann"/);

      await press(view, keys.ctrlU, '{"name":42}', keys.ctrlS);
      frame = await frameWith(view, /400 Bad Request/);
      assert.match(frame, /\/name must be string/);

      await press(view, keys.ctrlU, '{"name":', keys.ctrlS);
      await frameWith(view, /not JSON/);

      await press(view, keys.escape);
      await frameWith(view, /NODES \(1\)/);
    });
  });

  it('shows stream messages as they arrive: a server stream, and a bidi stream until ended', async () => {
    await explore({ registry, client, service: 'greeter' }, async (view) => {
      await frameWith(view, '› Say.Count');
      await press(view, keys.enter);
      await frameWith(view, 'server stream');
      await press(view, keys.ctrlU, '{"n":3}', keys.ctrlS);
      let frame = await frameWith(view, /stream ended\s+sent 1\s+received 3/);
      assert.match(frame, /\{"i":0\}\n\{"i":1\}\n\{"i":2\}/);

      await press(view, keys.escape);
      await frameWith(view, /NODES \(1\)/);
      await press(view, keys.down, keys.down, 'c');
      frame = await frameWith(view, 'bidi stream');
      assert.match(frame, /ctrl-s send message\s+ctrl-e end stream/);
      await press(view, keys.ctrlU, '{"word":"hi"}', keys.ctrlS);
      frame = await frameWith(view, /stream open\s+sent 1\s+received 1/);
      assert.match(frame, /\{"word":"HI"\}/);
      await press(view, keys.ctrlU, '{"word":"yo"}', keys.ctrlS);
      frame = await frameWith(view, /received 2/);
      assert.match(frame, /\{"word":"HI"\}\n\{"word":"YO"\}/);
      await press(view, keys.ctrlE);
      await frameWith(view, /200 OK\s+stream ended\s+sent 2\s+received 2/);
    });
  });

  it('quits on q, stopping its registry watches', async () => {
    const before = registry.open();
    const view = render(h(App, { registry, client }));
    await frameWith(view, 'greeter');
    assert.equal(registry.open(), before + 1);
    await press(view, 'q');
    const deadline = Date.now() + 5000;
    while (registry.open() !== before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(registry.open(), before, 'the watch stopped: the app unmounted');
  });
});
