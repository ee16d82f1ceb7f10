// Reading the running bots (src/ui/bot-status.ts), as the dashboard, the explorer and `micro bot
// status` do: every answer is checked and cut (a hostile or broken bot is shown bounded), a node
// answering no object is an error row, and a fleet past BOT_LIMITS.nodes is counted, not all asked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMemoryRegistry } from '../../src/registry/index.ts';
import { createClient, type Client, type Registry, type Service } from '../../src/runtime/index.ts';
import { BOT_LIMITS, botStatusOf, findBots, readBots } from '../../src/ui/bot-status.ts';
import { botStatus, startStandInBot } from '../helpers/bot-status.ts';
import { closedAddress } from '../helpers/cli.ts';
import { closeAll, record } from '../helpers/fixtures.ts';

describe('the running bots, as the views read them', () => {
  let registry: Registry;
  let client: Client;
  const bots: Service[] = [];

  before(() => {
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
  });
  after(() => closeAll(...bots, client, registry));

  it('finds none when no bot is registered', async () => {
    assert.deepEqual(await findBots(registry, client, 1000), { bots: [], total: 0 });
  });

  it('cuts what a hostile bot answers, and keeps only sound fields', async () => {
    const long = 'x'.repeat(1000);
    bots.push(
      await startStandInBot(
        registry,
        () => ({
          started: 'yesterday',
          handled: -5,
          inputs: [
            ...Array.from({ length: 100 }, () => ({ name: long, connected: 'yes', since: 1 })),
          ],
          commands: [
            7,
            null,
            ...Array.from({ length: 2000 }, (_, i) => ({
              name: `c${i}`,
              usage: long,
              description: { html: '<b>' },
              changes: 1,
              service: 42,
            })),
          ],
        }),
        'bot-hostile',
      ),
    );
    const { bots: found } = await findBots(registry, client, 2000);
    const s = found[0]?.status;
    assert.ok(s, JSON.stringify(found[0]?.error));
    assert.equal(s.started, 0);
    assert.equal(s.handled, 0);
    assert.equal(s.inputs.length, BOT_LIMITS.inputs);
    assert.deepEqual(s.inputs[0], {
      name: 'x'.repeat(BOT_LIMITS.text),
      connected: false,
      since: 1,
    });
    // The two that are no objects are dropped from the first BOT_LIMITS.commands.
    assert.equal(s.commands.length, BOT_LIMITS.commands - 2);
    assert.deepEqual(s.commands[0], {
      name: 'c0',
      usage: 'x'.repeat(BOT_LIMITS.text),
      description: '',
      changes: false,
    });
  });

  it('takes a sound status as it is, and says which node answered no object', async () => {
    assert.deepEqual(botStatusOf(botStatus()), botStatus());
    assert.equal(botStatusOf([botStatus()]), undefined);
    const other = createMemoryRegistry();
    const odd = await startStandInBot(other, () => 'ok', 'bot-odd');
    try {
      const { bots: found } = await findBots(other, client, 2000);
      assert.deepEqual(
        found.map((b) => [b.node, b.status, b.error?.code, b.error?.detail]),
        [['bot-odd', undefined, 502, 'Bot.Status answered no object']],
      );
    } finally {
      await closeAll(odd, other);
    }
  });

  it('asks BOT_LIMITS.nodes nodes at most, and counts the rest', async () => {
    const address = await closedAddress();
    const nodes = Array.from({ length: BOT_LIMITS.nodes + 6 }, (_, i) => ({
      id: `bot-${String(i).padStart(3, '0')}`,
      address,
      metadata: {},
    }));
    const found = await readBots(client, [{ ...record('bot'), nodes }], 1000);
    assert.equal(found.total, BOT_LIMITS.nodes + 6);
    assert.equal(found.bots.length, BOT_LIMITS.nodes);
    assert.deepEqual(
      found.bots.map((b) => b.node),
      nodes.slice(0, BOT_LIMITS.nodes).map((n) => n.id),
    );
    assert.ok(found.bots.every((b) => b.error?.code === 503 && b.status === undefined));
  });
});
