// Service-provided commands inside createBot: listed in help after the built-ins, checked by the
// safety rules like any command that changes state, audited as the service's Command.Exec.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bot, Message } from '../../src/bot/bot.ts';
import { builtinCommands } from '../../src/bot/commands/index.ts';
import { createBot } from '../../src/bot/core.ts';
import { createServiceCommands } from '../../src/bot/services.ts';
import { createMemoryAudit } from '../../src/platform/audit/memory.ts';
import { createClient, createMemoryRegistry, type Service } from '../../src/runtime/index.ts';
import { closeAll, quietService } from '../helpers/fixtures.ts';

const medium = { style: 'plain', maxLength: 8_000 } as const;
const from = (id: string, text: string): Message => ({
  user: { input: 'xmpp', id },
  text,
  room: 'ops@conference.localhost',
});

describe('service commands in the bot', () => {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const audit = createMemoryAudit();
  const deployed: string[][] = [];
  let deployer: Service;
  let bot: Bot;

  before(async () => {
    deployer = quietService({ name: 'deployer', registry, address: '127.0.0.1:0' });
    deployer.handle('Command', {
      Help: async () => ({
        name: 'deploy',
        usage: 'deploy <service> <version>',
        description: 'roll out a version',
      }),
      Exec: async (req: { args: string[] }) => {
        deployed.push(req.args);
        return { result: `deploying ${req.args.join(' ')}` };
      },
    });
    await deployer.start();
    const builtins = builtinCommands();
    const services = createServiceCommands({
      registry,
      client,
      builtins,
      logger: { info() {}, warn() {} },
    });
    await services.ready;
    bot = await createBot({
      inputs: [],
      registry,
      client,
      audit,
      services,
      commands: builtins,
      allow: ['xmpp:alice@localhost'],
      rate: 0,
      logger: { info() {}, warn() {} },
    });
  });
  after(() => closeAll(bot, deployer, client, registry));

  it('lists it in help, marked as changing state', async () => {
    const help = await bot.handle(from('bob@localhost', 'help'), medium);
    assert.match(help, /^deploy <service> <version> +yes +roll out a version$/m);
  });

  it('refuses it to a user not allowed, runs it for one who is, and audits both', async () => {
    assert.match(
      await bot.handle(from('bob@localhost', 'deploy greeter 1.2.0'), medium),
      /^error 403 \(micro\.bot\): bob@localhost may not run deploy: it changes state;/,
    );
    assert.deepEqual(deployed, [], 'the service was not called');
    assert.equal(
      await bot.handle(from('alice@localhost', 'Deploy greeter 1.2.0'), medium),
      'deploying greeter 1.2.0',
    );
    assert.deepEqual(deployed, [['greeter', '1.2.0']]);
    assert.deepEqual(
      audit
        .events()
        .filter((e) => e.action === 'deploy')
        .map((e) => [e.actor, e.result, e.target]),
      [
        ['xmpp:bob@localhost', 'refused', 'service:deployer:Command.Exec greeter 1.2.0'],
        ['xmpp:alice@localhost', 'ok', 'service:deployer:Command.Exec greeter 1.2.0'],
      ],
    );
  });
});
