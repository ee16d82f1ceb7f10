// `micro bot --inputs stdin` as a real process against a real control plane: commands piped in are
// answered on stdout (each reply then a blank line), audited as source bot in micro.audit, and the
// process exits 0 at the end of its input; SIGTERM stops a bot left waiting; a bad setting is a
// one-line error and a non-zero exit before anything connects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BotStatus } from '../../src/bot/bot.ts';
import type { AuditEvent } from '../../src/platform/audit/audit.ts';
import type { EventRecord } from '../../src/platform/events/events.ts';
import { bin, errorOf, micro, startBench, type Bench } from '../helpers/cli.ts';
import { startNode } from '../helpers/proc.ts';

describe('micro bot --inputs stdin', () => {
  let bench: Bench;
  let env: Record<string, string>;
  before(async () => {
    bench = await startBench();
    env = { MICRO_REGISTRY_ADDRESS: bench.controlPlane.address };
  });
  after(() => bench.stop());

  it('answers help and ping piped in, then exits 0', async () => {
    const r = await micro(['bot', '--inputs', 'stdin'], { input: 'help\n\nping\n', env });
    assert.equal(r.code, 0, r.stderr);
    const [help, pong, rest] = r.stdout.split('\n\n');
    assert.match(help ?? '', /^COMMAND +CHANGES +DESCRIPTION\nhelp \[command\] +list the commands/);
    assert.match(help ?? '', /\nping +answer pong/);
    assert.equal(pong, 'pong');
    assert.equal(rest, '', 'nothing after the last reply but its blank line');
    assert.match(
      r.stderr,
      /^micro bot: connected: stdin \(registry: micro at 127\.0\.0\.1:\d+\)$/m,
    );
  });

  it('exits 1 when a command piped in failed, as a CLI command would', async () => {
    const r = await micro(['bot'], { input: 'ping\ncall nosuch Say.Hello\nnope\n', env });
    assert.equal(r.code, 1, r.stderr);
    const [pong, failed, unknown] = r.stdout.split('\n\n');
    assert.equal(pong, 'pong');
    assert.match(failed ?? '', /^error 404 \(micro\.client\): service nosuch not found/);
    assert.equal(unknown, 'unknown command "nope": try help');
    assert.match(r.stderr, /^micro bot: 2 commands failed$/m);
  });

  it('reports each command to the audit as source bot', async () => {
    const r = await micro(['bot'], { input: 'ping\n', env });
    assert.equal(r.code, 0, r.stderr);
    const read = await micro(['events', 'replay', 'micro.audit', '--output', 'json'], { env });
    assert.equal(read.code, 0, read.stderr);
    const records = (JSON.parse(read.stdout) as EventRecord[]).map(
      (e) => e.data as Partial<AuditEvent>,
    );
    const ping = records.find((e) => e.source === 'bot' && e.action === 'ping');
    assert.ok(ping, read.stdout);
    assert.match(ping.actor ?? '', /^stdin:/);
    assert.equal(ping.result, 'ok');
    assert.deepEqual(ping.labels, { input: 'stdin', room: 'stdin' });
  });

  it('is the service bot while it runs (Bot.Status), and stops cleanly on SIGTERM', async () => {
    const bot = startNode(bin, ['bot'], env);
    await bot.waitFor(/^stderr: micro bot: connected: stdin/);
    const r = await micro(['call', 'bot', 'Bot.Status'], { env });
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as BotStatus;
    assert.deepEqual(
      status.inputs.map((i) => [i.name, i.connected]),
      [['stdin', true]],
    );
    assert.ok(status.commands.some((c) => c.name === 'call' && c.changes));
    assert.equal(await bot.stop('SIGTERM'), 0);
    const gone = await micro(['get', 'service', 'bot'], { env });
    assert.notEqual(gone.code, 0, 'deregistered on the way out');
  });

  it('refuses a bad MICRO_BOT_RATE with a one-line error naming it', async () => {
    const r = await micro(['bot'], { input: 'ping\n', env: { ...env, MICRO_BOT_RATE: 'fast' } });
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const err = errorOf(r);
    assert.equal(err.code, 400);
    assert.match(
      err.detail,
      /^MICRO_BOT_RATE must be commands a second per user \(0: no limit\), not "fast"$/,
    );
  });
});
