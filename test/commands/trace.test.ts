import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { TraceDetail, TraceSummary } from '../../src/platform/trace/trace.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { errorOf, micro } from '../helpers/cli.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';
import { FAILED, PLAIN, sampleLogs, sampleSpans } from '../helpers/trace-fixture.ts';

describe('micro trace', () => {
  let cp: TestControlPlane;
  let registry: Registry;
  let client: Client;
  let flag: string[];
  before(async () => {
    cp = await startTestControlPlane('micro-trace-cli-');
    flag = ['--registry-address', cp.address];
    registry = createMicroRegistry({ address: cp.address });
    client = createClient({ registry });
    await client.call('trace', 'Trace.Write', { spans: sampleSpans() });
  });
  after(async () => {
    await client.close();
    await registry.close();
    await cp.stop();
  });

  it('lists traces newest first, and filters them', async () => {
    const all = await micro(['trace', 'list', ...flag]);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^TRACE\s+START\s+DURATION\s+SPANS\s+ERRORS\s+ROOT$/);
    assert.equal(lines.length, 3);
    assert.match(
      lines[1] ?? '',
      new RegExp(
        `^${PLAIN}\\s+\\d{4}-\\d\\d-\\d\\d [\\d:.]+\\s+3\\.00ms\\s+1\\s+0\\s+greeter Say\\.Hello$`,
      ),
    );
    assert.match(
      lines[2] ?? '',
      new RegExp(`^${FAILED}\\s.*\\s40\\.0ms\\s+4\\s+1\\s+api POST /greeter/say/hello$`),
    );

    const errors = await micro(['trace', 'list', '--status', 'error', '-o', 'json', ...flag]);
    const found = JSON.parse(errors.stdout) as TraceSummary[];
    assert.deepEqual(
      found.map((t) => [t.traceId, t.errors, t.services]),
      [[FAILED, 1, ['api', 'greeter']]],
    );
    const slow = await micro([
      'trace',
      'list',
      '--min',
      '10ms',
      '--since',
      '10m',
      '-n',
      '5',
      ...flag,
    ]);
    assert.match(slow.stdout, new RegExp(FAILED));
    assert.doesNotMatch(slow.stdout, new RegExp(PLAIN));
    const none = await micro(['trace', 'list', '--service', 'nobody', ...flag]);
    assert.equal(none.stdout, 'no traces matched\n');
  });

  it('shows a trace as a waterfall: indented by depth, bars placed, the error marked', async () => {
    const r = await micro(['trace', 'get', FAILED, '--width', '20', ...flag]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^trace ${FAILED}  .*  40\\.0ms  4 spans  1 error$`));
    // No colour when stdout is not a terminal.
    assert.ok(!r.stdout.includes('\u001b'));
    const header = lines[2] ?? '';
    const rows = lines.slice(3, 7);
    const names = rows.map((l) => l.slice(0, header.indexOf('SERVICE')).trimEnd());
    assert.deepEqual(names, [
      '  POST /greeter/say/hello',
      '    greeter Say.Hello',
      '      greeter Say.Hello',
      '!       store Store.Read',
    ]);
    const at = header.indexOf('DURATION') + 'DURATION'.length + 2;
    const bars = rows.map((l) => l.slice(at, at + 20).padEnd(20));
    assert.equal(bars[0], '█'.repeat(20), 'the root spans the whole trace');
    assert.equal(
      bars[3],
      `${' '.repeat(10)}█████${' '.repeat(5)}`,
      'the store call: from 20 to 30 of 40 ms',
    );
    assert.match(rows[3] ?? '', /500 disk on fire$/);
    // The control plane's logs service answers: it has no line of this trace yet.
    assert.match(r.stdout, /no log lines in this trace/);
  });

  it("prints the trace's log lines beneath when the logs service answers", async () => {
    // The lines, written into the control plane's own logs service.
    const logs = createClient({ registry });
    await logs.call('logs', 'Log.Write', {
      records: sampleLogs().map(({ id: _id, ...r }) => r),
    });
    try {
      const r = await micro(['trace', 'get', FAILED, ...flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /LOGS \(2\)\n.* greeter {2}INFO {3}saying hello to Ann\n.* greeter {2}ERROR {2}store read failed\n$/,
      );
      const json = await micro(['trace', 'get', FAILED.toUpperCase(), '-o', 'json', ...flag]);
      const detail = JSON.parse(json.stdout) as TraceDetail & { logs: unknown[] };
      assert.equal(detail.spans.length, 4);
      assert.equal(detail.logs.length, 2);
    } finally {
      await logs.close();
    }
  });

  it('maps which services call which', async () => {
    // A window of 100 s around the traces: one call each way is 0.01 calls a second.
    const at = (await client.call<TraceDetail>('trace', 'Trace.Get', { id: FAILED })).spans[0]!
      .start;
    const window = ['--since', String(at - 50_000), '--until', String(at + 50_000)];
    const r = await micro(['trace', 'map', ...window, ...flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^3 services, 2 edges from .* \(2 min\)\n\nEDGE\s+CALLS\s+CALLS\/S\s+ERRORS\/S\s+P50\s+P99\n/,
    );
    assert.match(r.stdout, /\napi -> greeter\s+1\s+0\.01\s+0\s+36\.0ms\s+36\.0ms\n/);
    assert.match(r.stdout, /\ngreeter -> store\s+1\s+0\.01\s+0\.01\s+10\.0ms\s+10\.0ms\n$/);
    const json = await micro(['trace', 'map', ...window, '-o', 'json', ...flag]);
    assert.deepEqual((JSON.parse(json.stdout) as { services: string[] }).services, [
      'api',
      'greeter',
      'store',
    ]);
  });

  it('refuses bad ids and flags with a clear error and exit 1', async () => {
    const cases: [string[], RegExp][] = [
      [['trace', 'get', 'nope'], /a trace id is 32 hex digits/],
      [['trace', 'get', '0'.repeat(32)], /a trace id is 32 hex digits/],
      [['trace', 'list', '--status', 'bad'], /--status must be ok or error/],
      [['trace', 'list', '--min', 'soon'], /--min "soon" is not a duration/],
      [['trace', 'list', '-n', '0'], /-n must be a whole number from 1 to 500/],
      [['trace', 'list', '--since', 'yesterday'], /--since must be a duration/],
      [['trace', 'list', '--service', 'a', '--service', 'b'], /--service was given more than once/],
    ];
    for (const [args, detail] of cases) {
      const r = await micro([...args, ...flag]);
      assert.equal(r.code, 1, args.join(' '));
      const e = errorOf(r);
      assert.equal(e.code, 400);
      assert.match(e.detail, detail);
    }
    const missing = await micro(['trace', 'get', 'ffffffffffffffffffffffffffffffff', ...flag]);
    assert.equal(missing.code, 1);
    assert.equal(errorOf(missing).code, 404);
  });
});
