// `micro logs` through the real CLI against a real control plane's `logs` service: the lines a
// user asks for (by service, level, text, trace, time, count), as text or JSON lines, escaped;
// -f printing a new line as it is stored and ending cleanly on Ctrl-C; bad flags a 400.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LogRecord } from '../../src/platform/logs/logs.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { bin, errorOf, micro } from '../helpers/cli.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

const T1 = '4bf92f3577b34da6a3ce929d0e0e4736';
const T2 = '0af7651916cd43dd8448eb211c80319c';
const MIN = 60_000;

describe('micro logs', () => {
  let cp: TestControlPlane;
  let registry: Registry;
  let client: Client;
  let flag: string[];
  const now = Date.now();

  const write = (records: LogRecord[]) => client.call('logs', 'Log.Write', { records });
  const lines = (stdout: string) => stdout.split('\n').filter((l) => l !== '');

  before(async () => {
    cp = await startTestControlPlane('micro-logs-cli-', { supervise: true });
    registry = createMicroRegistry({ address: cp.address });
    client = createClient({ registry });
    flag = ['--registry-address', cp.address];
    await write([
      { time: now - 120 * MIN, service: 'greeter', level: 'info', msg: 'started long ago' },
      {
        time: now - 5 * MIN,
        service: 'greeter',
        node: 'greeter-3f2a9c1e-77aa',
        level: 'info',
        msg: 'said hello',
        traceId: T1,
        spanId: '00f067aa0ba902b7',
        fields: { name: 'Ann', ms: 3 },
      },
      { time: now - 4 * MIN, service: 'users', level: 'info', msg: 'user looked up', traceId: T1 },
      { time: now - 2 * MIN, service: 'greeter', level: 'warn', msg: 'slow call' },
      {
        time: now - 1 * MIN,
        service: 'greeter',
        level: 'error',
        msg: 'boom \u001b[2J\u001b[31mred\u009b0m',
        traceId: T2,
      },
    ]);
  });
  after(async () => {
    await stopAll();
    await closeAll(client, registry, cp);
  });

  it('prints a service’s lines, oldest first: time, level, service[node], message, fields, trace', async () => {
    // MICRO_TRACE is the platform's tracing switch: it is not taken for --trace.
    const run = await micro(['logs', 'greeter', ...flag], { env: { MICRO_TRACE: 'off' } });
    assert.equal(run.code, 0, run.stderr);
    const got = lines(run.stdout);
    assert.equal(got.length, 4, run.stdout);
    assert.equal(
      got[1],
      `${new Date(now - 5 * MIN).toISOString()} INFO  greeter[3f2a9c1e] said hello name=Ann ms=3 trace=4bf92f35`,
    );
    assert.match(got[2]!, /^\S+Z WARN {2}greeter slow call$/);
    // Not a terminal: no colour; the record's control characters shown as escapes.
    assert.ok(!run.stdout.includes('\u001b') && !run.stdout.includes('\u009b'));
    assert.match(got[3]!, /ERROR greeter boom \\u001b\[2J\\u001b\[31mred\\u009b0m trace=0af76519$/);
  });

  it('filters by level, text, trace, time and count', async () => {
    const msgs = async (...args: string[]) => {
      const run = await micro(['logs', ...args, ...flag]);
      assert.equal(run.code, 0, run.stderr);
      return lines(run.stdout).map(
        (l) => /^\S+ [A-Z]+ +\S+ (.*?)(?: name=.*| trace=\S+)?$/.exec(l)?.[1],
      );
    };
    assert.deepEqual(await msgs('greeter', '--level', 'warn'), [
      'slow call',
      'boom \\u001b[2J\\u001b[31mred\\u009b0m',
    ]);
    assert.deepEqual(await msgs('greeter', '--grep', 'ANN'), ['said hello']);
    assert.deepEqual(await msgs('all', '--trace', T1.toUpperCase()), [
      'said hello',
      'user looked up',
    ]);
    assert.deepEqual(await msgs('greeter', '--since', '10m', '-n', '2'), [
      'slow call',
      'boom \\u001b[2J\\u001b[31mred\\u009b0m',
    ]);
    assert.equal((await msgs('--all', '--since', '10m')).length, 4);
  });

  it('--output json prints one record a line, with its id and whole trace id', async () => {
    const run = await micro(['logs', 'greeter', '--grep', 'hello', '--output', 'json', ...flag]);
    assert.equal(run.code, 0, run.stderr);
    const [only, ...more] = lines(run.stdout).map((l) => JSON.parse(l) as LogRecord);
    assert.equal(more.length, 0);
    assert.equal(only?.traceId, T1);
    assert.equal(only?.node, 'greeter-3f2a9c1e-77aa');
    assert.deepEqual(only?.fields, { name: 'Ann', ms: 3 });
    assert.equal(typeof only?.id, 'number');
  });

  it('-f prints the lines stored after it started, and ends on Ctrl-C with exit code 0', async () => {
    const follow = startNode(bin, ['logs', 'greeter', '-f', '-n', '1', ...flag]);
    await follow.waitFor(/ERROR greeter boom/);
    await write([
      { time: Date.now(), service: 'users', level: 'info', msg: 'not greeter' },
      { time: Date.now(), service: 'greeter', level: 'info', msg: 'a new line' },
    ]);
    await follow.waitFor(/INFO {2}greeter a new line$/);
    assert.equal(await follow.stop('SIGINT'), 0);
    assert.ok(!follow.lines.some((l) => l.includes('not greeter') || l.includes('stderr')));
    assert.equal(follow.lines.filter((l) => l.includes('boom')).length, 1);
  });

  it('reads a supervised process by its name from its output file, its service from the logs', async () => {
    // It prints pino's JSON as service `inner`: kept under that name, not under `worker`.
    const file = join(cp.dataDir, 'worker.ts');
    writeFileSync(
      file,
      `console.log(JSON.stringify({ level: 40, time: Date.now(), service: 'inner', msg: 'disk low' }));\nsetInterval(() => {}, 60_000);\n`,
    );
    await client.call('runtime', 'Runtime.Create', { name: 'worker', path: file });
    const inner = startNode(bin, ['logs', 'inner', '-f', ...flag]);
    await inner.waitFor(/WARN {2}inner disk low$/);
    assert.equal(await inner.stop('SIGINT'), 0);
    const worker = await micro(['logs', 'worker', ...flag]);
    assert.equal(worker.code, 0, worker.stderr);
    assert.match(worker.stdout, /^--- run started \S+, pid \d+ ---$/m);
    assert.match(worker.stdout, /"service":"inner","msg":"disk low"/);
    // A filter the file cannot apply: the logs service, which has no line of worker.
    const filtered = await micro(['logs', 'worker', '--level', 'warn', ...flag]);
    assert.equal(filtered.stdout, '');
    assert.match(filtered.stderr, /no lines of worker match.*micro logs worker --file/);
    await client.call('runtime', 'Runtime.Delete', { name: 'worker' });
  });

  it('refuses bad flags with a 400 that names the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['greeter', '--level', 'loud'], /--level must be one of trace, debug, info, warn/],
      [['greeter', '--since', 'yesterdayish'], /--since "yesterdayish" is neither a duration/],
      [['greeter', '-n', '-1'], /--tail must be a whole number of lines from 0 to 1000/],
      [['greeter', '-n', '5000'], /--tail must be a whole number of lines from 0 to 1000/],
      [['greeter', '--trace', 'xyz'], /--trace must be a trace id of 32 hex digits/],
      [['greeter', '--grep', 'x'.repeat(300)], /--grep is 300 characters long; the limit is 256/],
      [['../../etc'], /is not a valid name/],
      [[], /name a service \(micro logs NAME\), or all/],
    ];
    for (const [args, detail] of cases) {
      const run = await micro(['logs', ...args, ...flag]);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}`);
      assert.equal(run.stdout, '');
      const e = errorOf(run);
      assert.equal(e.code, 400, `${args.join(' ')}: ${e.detail}`);
      assert.match(e.detail, detail);
    }
  });
});
