import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command, CommandContext } from '../../src/bot/bot.ts';
import { createServiceCommands, type ServiceCommands } from '../../src/bot/services.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import {
  createClient,
  type Client,
  type MicroError,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, greeterService } from '../helpers/fixtures.ts';
import { startNode, stopAll, type Child } from '../helpers/proc.ts';

const example = fileURLToPath(new URL('../../examples/bot-commands/service.ts', import.meta.url));

describe('the bot-commands example (examples/bot-commands)', () => {
  let cp: TestControlPlane;
  let registry: Registry;
  let client: Client;
  let greeter: Service;
  let uptime: Child;
  let commands: ServiceCommands;

  before(async () => {
    cp = await startTestControlPlane('micro-bot-example-');
    registry = createMicroRegistry({ address: cp.address });
    client = createClient({ registry });
    greeter = greeterService(registry);
    await greeter.start();
    uptime = startNode(example, [], { MICRO_REGISTRY_ADDRESS: cp.address });
    await uptime.waitFor(/^uptime \S+ listening on/);
    commands = createServiceCommands({ registry, client, logger: { info() {}, warn() {} } });
  });
  after(async () => {
    commands.close();
    await stopAll();
    await closeAll(greeter, client, registry, cp);
  });

  const run = async (text: string): ReturnType<Command['run']> => {
    await commands.ready;
    let command: Command | undefined;
    for (let i = 0; i < 200 && !command; i++) {
      command = commands.commands().find((c) => c.pattern.test(text));
      if (!command) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(command, `no command for "${text}"`);
    const ctx: CommandContext = {
      message: { user: { input: 'stdin', id: 'ann' }, text, room: 'stdin' },
      registry,
      client,
      signal: AbortSignal.timeout(10_000),
      commands: () => commands.commands(),
    };
    return command.run(ctx, text.split(' ').slice(1), text.match(command.pattern)!);
  };

  it('answers Command.Help and Command.Exec as the protocol says, with its schemas registered', async () => {
    assert.deepEqual(await client.call('uptime', 'Command.Help', {}), {
      name: 'uptime',
      usage: 'uptime [service]',
      description: 'how long this host, or each node of a service, has been up',
      readOnly: true,
    });
    const [record] = await registry.getService('uptime');
    const exec = record?.endpoints.find((e) => e.name === 'Command.Exec');
    assert.deepEqual(exec?.request?.required, ['args']);
    assert.deepEqual(await client.call('uptime', 'Command.Exec', { args: ['a', 'b'] }), {
      error: 'usage: uptime [service]',
    });
    await assert.rejects(
      client.call('uptime', 'Command.Exec', { args: 'greeter' }),
      (e: MicroError) => e.code === 400,
    );
  });

  it('is found by the bot and runs as its `uptime` command', async () => {
    const host = await run('uptime');
    assert.equal(host.length, 1);
    assert.match(JSON.stringify(host[0]), /"kind":"text","text":".+ up .+, load [\d.]+ /);
    const [table] = await run('uptime greeter');
    assert.equal(table?.kind, 'code');
    const lines = table.kind === 'code' ? table.text.split('\n') : [];
    assert.match(lines[0] ?? '', /^NODE +VERSION +UP +CALLS +ERRORS$/);
    assert.equal(lines.length, 2);
    assert.match(
      lines[1] ?? '',
      new RegExp(`^${greeter.server.id} +1\\.0\\.0 +\\d+m \\d+s +\\d+ +0$`),
    );
    await assert.rejects(run('uptime nope'), (e: MicroError) => {
      assert.deepEqual(
        { id: e.id, code: e.code, detail: e.detail },
        { id: 'uptime', code: 500, detail: 'no service "nope" is registered' },
      );
      return true;
    });
    const [command] = commands.commands();
    assert.equal(command?.changes, false, 'its Help says readOnly');
  });

  it('stops cleanly on SIGTERM', async () => {
    assert.equal(await uptime.stop('SIGTERM'), 0, uptime.lines.join('\n'));
  });
});
