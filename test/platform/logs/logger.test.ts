import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger, prettyLines } from '../../../src/platform/logs/logger.ts';
import { createShipper } from '../../../src/platform/logs/ship.ts';
import { tmuxServer } from '../../helpers/terminal.ts';

/** A stream keeping what the logger writes. */
const capture = () => {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(s) } };
};
const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const fixture = fileURLToPath(new URL('fixtures/print.ts', import.meta.url));

describe('createLogger', () => {
  const manager = new AsyncLocalStorageContextManager();
  before(() => context.setGlobalContextManager(manager.enable()));
  after(() => {
    context.disable();
  });

  it('writes pino JSON with service, node, and the active span ids inside a span only', () => {
    const { lines, stream } = capture();
    const log = createLogger({ service: 'greeter', node: 'greeter-1', stream, env: {} });
    const span = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    });
    context.with(trace.setSpan(context.active(), span), () =>
      log.info({ user: 'ann' }, 'inside a span'),
    );
    log.info('outside');
    const [inside, outside] = parsed(lines);
    assert.equal(inside!.level, 30);
    assert.equal(typeof inside!.time, 'number');
    assert.equal(inside!.service, 'greeter');
    assert.equal(inside!.node, 'greeter-1');
    assert.equal(inside!.msg, 'inside a span');
    assert.equal(inside!.user, 'ann');
    assert.equal(inside!.trace_id, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(inside!.span_id, 'b7ad6b7169203331');
    assert.equal(outside!.msg, 'outside');
    assert.equal('trace_id' in outside!, false);
  });

  it('filters by level: MICRO_LOG_LEVEL, and a bad one is a TypeError naming it', () => {
    const { lines, stream } = capture();
    const log = createLogger({ service: 's', stream, env: { MICRO_LOG_LEVEL: 'warn' } });
    log.info('dropped');
    log.warn('kept');
    log.error('kept too');
    assert.deepEqual(
      parsed(lines).map((l) => l.msg),
      ['kept', 'kept too'],
    );
    assert.throws(
      () => createLogger({ service: 's', stream, env: { MICRO_LOG_LEVEL: 'loud' } }),
      (err: Error) => err instanceof TypeError && /MICRO_LOG_LEVEL/.test(err.message),
    );
    assert.throws(
      () => createLogger({ service: 's', stream, env: { MICRO_LOG_FORMAT: 'xml' } }),
      (err: Error) => err instanceof TypeError && /MICRO_LOG_FORMAT/.test(err.message),
    );
  });

  it('prints pretty with MICRO_LOG_FORMAT=pretty, JSON otherwise', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    createLogger({ service: 'greeter', stream, env: { MICRO_LOG_FORMAT: 'pretty' } }).warn('hi');
    assert.match(lines.join(''), /WARN: greeter: hi/);
    assert.doesNotMatch(lines.join(''), /"level"/);
  });

  it('prints JSON on a pipe and pretty on a terminal by itself', async () => {
    const piped = spawnSync(process.execPath, [fixture], { encoding: 'utf8' });
    const line = JSON.parse(piped.stdout.trim()) as Record<string, unknown>;
    assert.equal(line.msg, 'hello from the logger');
    assert.equal(line.service, 'printer');
    const tmux = tmuxServer('micro-logger');
    try {
      const term = tmux.terminal('pretty', `${process.execPath} ${fixture}`);
      const screen = (await term.screenWith(/exited with/)).join('\n');
      assert.match(screen, /INFO.*printer: hello from the logger/);
      assert.doesNotMatch(screen, /"level"/);
    } finally {
      tmux.stop();
    }
  });

  it('prints a printed JSON line readably for a terminal, any other line as it is', () => {
    const pretty = prettyLines(false);
    assert.match(
      pretty('{"level":50,"time":1796660635826,"service":"users","msg":"cannot reach db"}'),
      /ERROR: users: cannot reach db$/,
    );
    assert.equal(pretty('plain text'), 'plain text');
    assert.equal(pretty('{"level": broken'), '{"level": broken');
  });

  it('appends every line to MICRO_LOG_FILE too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'micro-logfile-'));
    try {
      const path = join(dir, 'sub', 'service.log');
      const { stream } = capture();
      const env = { MICRO_LOG_FILE: path };
      createLogger({ service: 'a', stream, env }).info('one');
      createLogger({ service: 'a', stream, env }).info('two');
      const kept = parsed((await readFile(path, 'utf8')).trim().split('\n'));
      assert.deepEqual(
        kept.map((l) => l.msg),
        ['one', 'two'],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('createShipper', () => {
  it('sends lines in batches as records, and drops and counts them when sending fails', async () => {
    const sent: number[] = [];
    let fail = false;
    const shipper = createShipper('test', { service: 'a' }, async (records) => {
      if (fail) throw new Error('away');
      sent.push(records.length);
    });
    const log = createLogger({
      service: 'a',
      stream: { write: () => undefined },
      sinks: [shipper],
      env: {},
    });
    for (let i = 0; i < 1500; i++) log.info(`line ${i}`);
    await shipper.close();
    assert.deepEqual(sent, [1000, 500]);
    assert.equal(shipper.sent, 1500);

    const failing = createShipper('test', { service: 'a' }, async () => {
      throw new Error('away');
    });
    fail = true;
    const log2 = createLogger({
      service: 'a',
      stream: { write: () => undefined },
      sinks: [failing],
      env: {},
    });
    for (let i = 0; i < 20_000; i++) log2.info(`line ${i}`);
    await failing.close();
    assert.equal(failing.sent, 0);
    assert.equal(failing.dropped, 20_000, 'every line counted, none kept past the queue');
  });
});
