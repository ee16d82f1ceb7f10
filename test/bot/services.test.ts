import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Command, CommandContext } from '../../src/bot/bot.ts';
import { readHelp } from '../../src/bot/service-command.ts';
import { createServiceCommands, type ServiceCommands } from '../../src/bot/services.ts';
import {
  createClient,
  createMemoryRegistry,
  MicroError,
  type Client,
  type Context,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { closeAll, quietService } from '../helpers/fixtures.ts';

/** What a test's command service does: its Help answer, and what Exec answers. */
interface Behaviour {
  version?: string;
  help?: unknown;
  exec?: (req: { args: string[] }, ctx: Context) => unknown;
}

/** A registry, a client, the service commands on them, and what they warned. */
interface Bench {
  registry: Registry;
  client: Client;
  commands: ServiceCommands;
  warnings: string[];
  /** Help calls each service (`name version`) answered. */
  helpCalls: Map<string, number>;
  start(name: string, b?: Behaviour): Promise<Service>;
  /** Waits until `check` is true of the commands (bounded), then returns them. */
  until(check: (c: Command[]) => boolean, what: string): Promise<Command[]>;
  run(name: string, args: string[], signal?: AbortSignal): ReturnType<Command['run']>;
}

const names = (c: Command[]) => c.map((x) => x.name);
const ops = (name: string) => ({ name, usage: `${name} <service>`, description: `${name}s it` });

async function bench(t: TestContext, builtins: Command[] = []): Promise<Bench> {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const warnings: string[] = [];
  const helpCalls = new Map<string, number>();
  const services: Service[] = [];
  const commands = createServiceCommands({
    registry,
    client,
    builtins,
    logger: { info() {}, warn: (m) => warnings.push(m) },
  });
  t.after(async () => {
    commands.close();
    await closeAll(...services, client, registry);
  });
  const until = async (check: (c: Command[]) => boolean, what: string): Promise<Command[]> => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      const now = commands.commands();
      if (check(now)) return now;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`${what}: never seen; commands: ${names(commands.commands()).join()}`);
  };
  return {
    registry,
    client,
    commands,
    warnings,
    helpCalls,
    async start(name, b = {}) {
      const version = b.version ?? '1.0.0';
      const s = quietService({ name, version, registry, address: '127.0.0.1:0' });
      s.handle('Command', {
        Help: async () => {
          const key = `${name} ${version}`;
          helpCalls.set(key, (helpCalls.get(key) ?? 0) + 1);
          return b.help ?? ops(name);
        },
        Exec: async (req: { args: string[] }, ctx: Context) =>
          b.exec ? b.exec(req, ctx) : { result: `${name} ${version}: ${req.args.join(' ')}` },
      });
      await s.start();
      services.push(s);
      return s;
    },
    until,
    async run(name, args, signal = new AbortController().signal) {
      const command = commands.commands().find((c) => c.name === name);
      assert.ok(command, `no command ${name}`);
      const text = [name, ...args].join(' ');
      const ctx: CommandContext = {
        message: { user: { input: 'stdin', id: 'ann' }, text, room: 'stdin' },
        registry,
        client,
        signal,
        commands: () => commands.commands(),
      };
      return command.run(ctx, args, text.match(command.pattern) ?? assert.fail('no match'));
    },
  };
}

describe('commands provided by services', () => {
  it('finds a service answering Command.Help and Command.Exec, and loses it when it stops', async (t) => {
    const b = await bench(t);
    await b.commands.ready;
    assert.deepEqual(b.commands.commands(), []);
    // A service without the two endpoints is no command.
    const plain = quietService({ name: 'plain', registry: b.registry, address: '127.0.0.1:0' });
    plain.handle('Command', { Help: async () => ops('plain') });
    await plain.start();
    t.after(() => plain.stop());
    const deployer = await b.start('deployer', {
      help: { ...ops('deploy'), readOnly: false },
    });
    const [deploy] = await b.until((c) => c.length === 1, 'deploy');
    assert.equal(deploy?.name, 'deploy');
    assert.deepEqual(
      b.commands.commands().map((c) => [c.service, c.version]),
      [['deployer', '1.0.0']],
      'it says which service provides it',
    );
    assert.equal(deploy?.usage, 'deploy <service>');
    assert.equal(deploy?.description, 'deploys it');
    assert.equal(deploy?.changes, true, 'a command changes state unless its Help says readOnly');
    assert.ok(deploy?.pattern.test('DEPLOY greeter') && deploy.pattern.test('deploy'));
    assert.ok(!deploy?.pattern.test('deployer') && !deploy?.pattern.test('undeploy x'));
    assert.deepEqual(await b.run('deploy', ['greeter', '1.2']), [
      { kind: 'text', text: 'deployer 1.0.0: greeter 1.2' },
    ]);
    await deployer.stop();
    await b.until((c) => c.length === 0, 'deploy gone');
    assert.deepEqual(b.warnings, []);
  });

  it('knows, once ready, the commands of the services registered before it started', async (t) => {
    const b = await bench(t);
    await b.start('early');
    const late = createServiceCommands({
      registry: b.registry,
      client: b.client,
      logger: { info() {}, warn() {} },
    });
    t.after(() => late.close());
    await late.ready;
    assert.deepEqual(names(late.commands()), ['early']);
  });

  it('asks Help once per version, and again when the version changes', async (t) => {
    const b = await bench(t);
    await b.start('uptime', { help: { ...ops('uptime'), readOnly: true } });
    const [first] = await b.until((c) => c.length === 1, 'uptime 1.0.0');
    assert.equal(first?.changes, false);
    // Another node of the same version: the record changes, Help is not asked again.
    await b.start('uptime', { help: { ...ops('uptime'), readOnly: true } });
    const v2 = await b.start('uptime', {
      version: '1.10.0',
      help: { ...ops('uptime'), description: 'the new one' },
    });
    await b.until((c) => c[0]?.description === 'the new one', 'the newest version wins');
    assert.equal(b.helpCalls.get('uptime 1.0.0'), 1, 'one Help for both nodes of 1.0.0');
    assert.equal(b.helpCalls.get('uptime 1.10.0'), 1);
    assert.match(JSON.stringify(await b.run('uptime', ['x'])), /uptime 1\.10\.0: x/);
    // Gone again: the older version's command comes back, from its cached Help.
    await v2.stop();
    await b.until((c) => c[0]?.description === 'uptimes it', 'back to 1.0.0');
    assert.equal(b.helpCalls.get('uptime 1.0.0'), 1);
  });

  it('leaves out a service whose Help is malformed or fails, with one warning per version', async (t) => {
    const b = await bench(t);
    await b.start('broken', { help: { usage: 5, description: 'x' } });
    const failing = quietService({
      name: 'failing',
      version: '1.0.0',
      registry: b.registry,
      address: '127.0.0.1:0',
    });
    let refusals = 2;
    failing.handle('Command', {
      Help: async () => {
        if (refusals-- > 0) throw new MicroError('failing', 403, 'no help for you');
        return ops('failing');
      },
      Exec: async () => ({ result: '' }),
    });
    await failing.start();
    t.after(() => failing.stop());
    await b.start('good');
    await b.until((c) => names(c).join() === 'good', 'good only');
    // More watch events for the same versions (a second node each), then a marker: no new warning.
    await b.start('broken', { help: { usage: 5, description: 'x' } });
    await b.start('marker');
    await b.until((c) => names(c).join() === 'good,marker', 'the marker');
    assert.deepEqual(b.warnings.sort(), [
      'service broken 1.0.0: Command.Help answered without a `usage` string: no command',
      'service failing 1.0.0: Command.Help failed (403: no help for you): no command until it answers',
    ]);
    // A Help that failed is asked again (after 1 s, then 2 s): the command comes once it answers.
    await b.until((c) => names(c).join() === 'failing,good,marker', 'failing, answering at last');
    assert.equal(b.warnings.length, 2, 'no warning for the second refusal');
  });

  it('lets a built-in keep its name, and the holder of a shared one keep it until it goes', async (t) => {
    const builtin: Command = {
      name: 'help',
      pattern: /^help$/i,
      usage: 'help',
      description: 'lists commands',
      run: async () => [],
    };
    const listServices: Command = {
      name: 'list services',
      pattern: /^list services?$/i,
      usage: 'list services',
      description: 'the services',
      run: async () => [],
    };
    const b = await bench(t, [builtin, listServices]);
    // ops10 holds `deploy` first; ops9, though first in natural order, does not take it.
    const ops10 = await b.start('ops10', { help: ops('deploy') });
    await b.until((c) => names(c).join() === 'deploy', 'deploy held by ops10');
    await b.start('ops9', { help: ops('deploy') });
    await b.start('helper', { help: ops('help') });
    // The first word of a built-in: it would take `list services please`.
    await b.start('lister', { help: ops('list') });
    // A name that is no command name: the service's name stands in.
    await b.start('Tools', { help: ops('Bad Name!') });
    await b.until((c) => names(c).join() === 'deploy,Tools', 'deploy and Tools');
    assert.deepEqual(await b.run('deploy', ['a']), [{ kind: 'text', text: 'ops10 1.0.0: a' }]);
    await b.until(() => b.warnings.length === 4, 'four warnings');
    assert.deepEqual(b.warnings.sort(), [
      'service Tools 1.0.0: Command.Help: its name "Bad Name!" is not a command name (a-z, 0-9 and -, up to 40, starting with a letter): it is called "Tools"',
      'service helper 1.0.0: its command "help" is the built-in "help": left out',
      'service lister 1.0.0: its command "list" is the built-in "list services": left out',
      'service ops9 1.0.0: its command "deploy" is provided by ops10 already: left out',
    ]);
    // Once the holder goes, the next claimant has it.
    await ops10.stop();
    await b.until(
      (c) => c.some((x) => x.name === 'deploy' && (x as { service?: string }).service === 'ops9'),
      'deploy held by ops9',
    );
    assert.deepEqual(await b.run('deploy', ['b']), [{ kind: 'text', text: 'ops9 1.0.0: b' }]);
  });

  it("answers Exec's result, its error, and a micro error as they are", async (t) => {
    const b = await bench(t);
    let calls = 0;
    await b.start('ops', {
      exec: ({ args: [what] }) => {
        calls++;
        if (what === 'lines') return { result: 'one\ntwo\n' };
        if (what === 'nothing') return { result: '' };
        if (what === 'fail') return { error: 'greeter is not deployable' };
        if (what === 'busy') throw new MicroError('ops', 503, 'a deploy is running');
        return { result: 42 };
      },
    });
    await b.until((c) => c.length === 1, 'ops');
    assert.deepEqual(await b.run('ops', ['lines']), [{ kind: 'code', text: 'one\ntwo' }]);
    assert.deepEqual(await b.run('ops', ['nothing']), [{ kind: 'text', text: '(no output)' }]);
    await assert.rejects(b.run('ops', ['fail']), (e: MicroError) => {
      assert.deepEqual(e.toJSON(), {
        id: 'ops',
        code: 500,
        detail: 'greeter is not deployable',
        status: 'Internal Server Error',
      });
      return true;
    });
    calls = 0;
    await assert.rejects(
      b.run('ops', ['busy']),
      (e: MicroError) => e.code === 503 && e.id === 'ops' && e.detail === 'a deploy is running',
    );
    assert.equal(calls, 1, 'a command that changes state is not retried');
    await assert.rejects(
      b.run('ops', ['odd']),
      (e: MicroError) => e.code === 502 && /without a string `result`/.test(e.detail),
    );
  });

  it("cancels Exec when the command's signal aborts", async (t) => {
    const b = await bench(t);
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    let handlerAborted!: (v: boolean) => void;
    const seen = new Promise<boolean>((r) => (handlerAborted = r));
    await b.start('slow', {
      exec: (_req, ctx) =>
        new Promise((_, reject) => {
          entered();
          ctx.signal.addEventListener('abort', () => {
            handlerAborted(true);
            reject(new Error('stopped'));
          });
        }),
    });
    await b.until((c) => c.length === 1, 'slow');
    const ac = new AbortController();
    const running = b.run('slow', [], ac.signal);
    await inside;
    ac.abort();
    await assert.rejects(running, (e: MicroError) => e.code === 499);
    assert.equal(await seen, true, "the service's handler saw its context cancelled");
  });
});

describe("a Help answer's checks", () => {
  it('bounds and cleans what it keeps', () => {
    const read = readHelp(
      { usage: `x\u001b[31m ${'u'.repeat(300)}`, description: 'line one\nline two' },
      'svc',
    );
    assert.ok('help' in read);
    assert.equal(read.help.name, 'svc');
    assert.equal(read.help.usage.length, 200);
    // What to type first: the name it is called by.
    assert.ok(read.help.usage.startsWith('svc x\\u001b[31m'), read.help.usage);
    assert.equal(read.help.description, 'line one\\u000aline two');
    // A name in capitals is its lower case; a refused one is replaced in the usage too.
    const shout = readHelp({ name: 'Shout', usage: 'Shout <text>', description: '' }, 'tc');
    assert.deepEqual('help' in shout && [shout.help.name, shout.help.usage], [
      'shout',
      'Shout <text>',
    ]);
    const refused = readHelp({ name: 'x_y', usage: 'x_y [a]', description: '' }, 'tc');
    assert.deepEqual('help' in refused && [refused.help.name, refused.help.usage], [
      'tc',
      'tc [a]',
    ]);
    assert.deepEqual(readHelp({ usage: 'a', description: 'b'.repeat(5000) }, 'svc'), {
      problem: 'answered 5030 characters of JSON; at most 4096 are read',
    });
    assert.deepEqual(readHelp([], 'svc'), { problem: 'answered with an array, not an object' });
    assert.deepEqual(readHelp({ usage: 'a', description: '', readOnly: 'yes' }, 'svc'), {
      problem: 'answered `readOnly` as a string, not a boolean',
    });
  });
});
