// Shell completion as the script micro completion prints runs it on every TAB:
// `micro --get-yargs-completions micro WORDS...`, against a real control plane.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { completions } from '../../src/commands/completion.ts';
import { createService, type Service } from '../../src/runtime/index.ts';
import { micro, startBench, type Bench } from '../helpers/cli.ts';
import { quiet } from '../helpers/fixtures.ts';

describe('micro completion', () => {
  let bench: Bench;
  let runtime: Service;
  /**
   * What a TAB after these words offers, one candidate a line. The registry may take 5 s rather
   * than 300 ms: a cold process on a busy test machine can miss 300 ms (the last test keeps it).
   */
  const tab = async (...words: string[]): Promise<string[]> => {
    const run = await micro(['--get-yargs-completions', 'micro', ...bench.flag, ...words], {
      env: { MICRO_COMPLETION_TIMEOUT: '5000' },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    return run.stdout.split('\n').filter(Boolean);
  };
  before(async () => {
    bench = await startBench();
    // A stand-in for the control plane's runtime: what micro ps would list.
    runtime = createService({
      name: 'runtime',
      registry: bench.registry,
      handleSignals: false,
      logger: quiet,
    }).handle('Runtime', {
      List: async () => ({ processes: [{ name: 'users' }, { name: 'orders' }] }),
    });
    await runtime.start();
  });
  after(async () => {
    await runtime.stop();
    await bench.stop();
  });

  it('completes service names, a service’s endpoints and topics from the registry', async () => {
    const services = await tab('call', '');
    const prefixed = await tab('call', 'gr');
    const endpoints = await tab('call', 'greeter', '');
    const getService = await tab('get', 'service', '');
    const topics = await tab('publish', '');
    const health = await tab('health', 'run');
    assert.deepEqual(
      services,
      [
        'audit',
        'auth',
        'config',
        'db',
        'events',
        'greeter',
        'logs',
        'metrics',
        'monitor',
        'registry',
        'runtime',
        'store',
        'sync',
        'trace',
      ],
      'no topic:events',
    );
    assert.deepEqual(prefixed, ['greeter']);
    assert.deepEqual(endpoints, ['Say.Count', 'Say.Hello', 'Say.Shout', 'Say.Slow', 'Say.Sum']);
    assert.deepEqual(getService, services);
    assert.deepEqual(topics, ['events']);
    assert.deepEqual(health, ['runtime']);
  });

  it('completes background services from the runtime for micro logs and micro kill', async () => {
    const logs = await tab('logs', '');
    const kill = await tab('kill', 'u');
    const following = await tab('logs', '-f', '');
    assert.deepEqual(logs, ['orders', 'users']);
    assert.deepEqual(kill, ['users']);
    assert.deepEqual(following, ['orders', 'users']);
  });

  it('still completes commands and flags, without a bogus --d for -d', async () => {
    const [commands, list, long, short] = await Promise.all([
      tab(''),
      tab('list', ''),
      tab('call', 'greeter', 'Say.Hello', '--'),
      tab('call', 'greeter', 'Say.Hello', '-'),
    ]);
    assert.ok(commands.includes('call') && commands.includes('logs'), commands.join(' '));
    assert.deepEqual(list, ['services', 'topics']);
    assert.ok(long.includes('--data') && long.includes('--timeout'), long.join(' '));
    for (const bogus of ['--d', '--m', '--t', '--o'])
      assert.ok(!long.includes(bogus), `no ${bogus}: ${long.join(' ')}`);
    assert.ok(short.includes('-d') && short.includes('--data'), short.join(' '));
  });

  it('completes nothing, quickly, when the registry does not answer', async () => {
    // A registry that accepts connections and never answers.
    const held = new Set<Socket>();
    const silent = createServer((socket) => held.add(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    const address = `127.0.0.1:${port}`;
    try {
      const run = await micro([
        '--get-yargs-completions',
        'micro',
        '--registry-address',
        address,
        'call',
        '',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, '');
      // In process (the modules loaded once first), the wait is the completion's bound, not the registry's.
      await completions(['micro', '--registry-address', address, 'kill', '']);
      const t0 = performance.now();
      const [names, processes] = await Promise.all([
        completions(['micro', '--registry-address', address, 'call', '']),
        completions(['micro', '--registry-address', address, 'logs', '']),
      ]);
      const ms = performance.now() - t0;
      assert.deepEqual([names, processes], [[], []]);
      assert.ok(ms < 1500, `completed in ${Math.round(ms)} ms`);
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
