// The logs contract: one suite run unchanged against every Logs (memory, SQLite, the control
// plane's client). Each test writes lines of services of its own, so a backend shared between
// tests needs no cleaning. The backend is made with a per-service bound of `keep` lines.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LogRecord, Logs } from '../../src/platform/logs/logs.ts';

/** A Logs made for the suite, bounded to `keep` lines per service. */
export interface LogsSetup {
  logs: Logs;
  keep: number;
  stop(): Promise<void>;
}

const status = (code: number, field?: RegExp) => (err: unknown) => {
  assert.equal((err as { code?: unknown }).code, code, String(err));
  if (field) assert.match((err as { detail: string }).detail, field);
  return true;
};
const TRACE = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const SPAN = 'c'.repeat(16);

/** The logs contract, run unchanged against every implementation. */
export function runLogsCases(label: string, setup: () => Promise<LogsSetup>): void {
  describe(`logs contract: ${label}`, () => {
    let s: LogsSetup;
    let logs: Logs;
    before(async () => {
      s = await setup();
      logs = s.logs;
    });
    after(() => s.stop());
    const svc = () => `svc-${randomUUID().slice(0, 8)}`;
    const line = (service: string, msg: string, more: Partial<LogRecord> = {}): LogRecord => ({
      time: Date.now(),
      service,
      level: 'info',
      msg,
      ...more,
    });
    const msgs = (records: LogRecord[]) => records.map((r) => r.msg);

    it('gives back what was written, oldest first, with increasing ids', async () => {
      const a = svc();
      const written = line(a, 'hello', {
        node: `${a}-1`,
        traceId: TRACE,
        spanId: SPAN,
        fields: { user: 'ann', n: 1 },
      });
      await logs.write([written, line(a, 'second')]);
      const got = await logs.read({ service: a });
      assert.deepEqual(msgs(got), ['hello', 'second']);
      const { id, ...rest } = got[0]!;
      assert.deepEqual(rest, written);
      assert.ok(typeof id === 'number' && got[1]!.id! > id);
    });

    it('filters by service, level and above, trace, text in any case, and time', async () => {
      const a = svc();
      const b = svc();
      const t0 = Date.now() - 10_000;
      await logs.write([
        line(a, 'debugging', { level: 'debug', time: t0 }),
        line(a, 'Payment FAILED', { level: 'error', time: t0 + 1000, traceId: TRACE }),
        line(a, 'slow call', {
          level: 'warn',
          time: t0 + 2000,
          fields: { endpoint: 'Pay.Charge' },
        }),
        line(b, 'other service', { level: 'fatal', time: t0 + 3000, traceId: OTHER }),
      ]);
      assert.deepEqual(msgs(await logs.read({ service: b })), ['other service']);
      assert.deepEqual(msgs(await logs.read({ service: a, level: 'warn' })), [
        'Payment FAILED',
        'slow call',
      ]);
      assert.deepEqual(msgs(await logs.read({ trace: TRACE, service: a })), ['Payment FAILED']);
      assert.deepEqual(msgs(await logs.read({ service: a, grep: 'payment failed' })), [
        'Payment FAILED',
      ]);
      assert.deepEqual(msgs(await logs.read({ service: a, grep: 'pay.charge' })), ['slow call']);
      assert.deepEqual(msgs(await logs.read({ service: a, since: t0 + 1000, until: t0 + 2000 })), [
        'Payment FAILED',
      ]);
    });

    it('reads the last `limit` lines, and pages forward after an id', async () => {
      const a = svc();
      await logs.write(Array.from({ length: 10 }, (_, i) => line(a, `m${i}`)));
      const last = await logs.read({ service: a, limit: 3 });
      assert.deepEqual(msgs(last), ['m7', 'm8', 'm9']);
      const all = await logs.read({ service: a });
      const page1 = await logs.read({ service: a, after: all[1]!.id, limit: 4 });
      assert.deepEqual(msgs(page1), ['m2', 'm3', 'm4', 'm5']);
      const page2 = await logs.read({ service: a, after: page1.at(-1)!.id, limit: 4 });
      assert.deepEqual(msgs(page2), ['m6', 'm7', 'm8', 'm9']);
      assert.deepEqual(await logs.read({ service: a, after: page2.at(-1)!.id }), []);
    });

    it('keeps at most `keep` lines per service, the newest, and lists its sources', async () => {
      const a = svc();
      const b = svc();
      const n = s.keep + 10;
      await logs.write(Array.from({ length: n }, (_, i) => line(a, `a${i}`)));
      await logs.write([line(b, 'b0'), line(b, 'b1')]);
      const kept = await logs.read({ service: a, limit: 1000 });
      assert.equal(kept.length, s.keep);
      assert.equal(kept[0]!.msg, `a${n - s.keep}`);
      assert.equal(kept.at(-1)!.msg, `a${n - 1}`);
      assert.equal((await logs.read({ service: b })).length, 2, 'another service keeps its own');
      const sources = await logs.sources();
      assert.equal(sources.find((x) => x.service === a)?.lines, s.keep);
      assert.equal(sources.find((x) => x.service === b)?.lines, 2);
    });

    it('watches new matching lines after an id, and ends when its signal aborts', async () => {
      const a = svc();
      await logs.write([line(a, 'before')]);
      const [seen] = await logs.read({ service: a });
      const abort = new AbortController();
      const got: string[] = [];
      const watching = (async () => {
        for await (const r of logs.watch(
          { service: a, level: 'warn', after: seen!.id },
          abort.signal,
        )) {
          got.push(r.msg);
          if (got.length === 2) abort.abort();
        }
      })();
      await logs.write([line(a, 'quiet info'), line(a, 'first', { level: 'warn' })]);
      await logs.write([line(svc(), 'elsewhere', { level: 'error' })]);
      await logs.write([line(a, 'second', { level: 'error' })]);
      await watching;
      assert.deepEqual(got, ['first', 'second']);
    });

    it('watches from now without an id: lines written before are not sent', async () => {
      const a = svc();
      await logs.write([line(a, 'old')]);
      const abort = new AbortController();
      const it = logs.watch({ service: a }, abort.signal)[Symbol.asyncIterator]();
      const next = it.next();
      // The watch is in place at some point: write until one arrives (bounded).
      let first: IteratorResult<LogRecord> | undefined;
      void next.then((r) => (first = r));
      for (let i = 0; i < 100 && !first; i++) {
        await logs.write([line(a, `new${i}`)]);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(first && !first.done, 'a new line arrived');
      assert.match(first.value.msg, /^new\d+$/);
      abort.abort();
      await it.return?.();
    });

    it('refuses hostile input with a 400 naming the field, storing nothing', async () => {
      const a = svc();
      await assert.rejects(logs.write([line(a, 'x'.repeat(16 * 1024 + 1))]), status(400, /msg/));
      await assert.rejects(
        logs.write(Array.from({ length: 1001 }, (_, i) => line(a, `m${i}`))),
        status(400, /1000|1,000/),
      );
      await assert.rejects(
        logs.write([line(a, 'ok'), line(a, 'bad', { level: 'loud' as never })]),
        status(400, /level/),
      );
      await assert.rejects(
        logs.write([line(a, 'big', { fields: { x: 'y'.repeat(65 * 1024) } })]),
        status(400, /fields/),
      );
      await assert.rejects(
        logs.write([line(a, 'bad trace', { traceId: 'nope' })]),
        status(400, /traceId/),
      );
      assert.deepEqual(await logs.read({ service: a }), [], 'nothing of a refused batch stored');
      await assert.rejects(logs.read({ level: 'loud' as never }), status(400, /level/));
      await assert.rejects(logs.read({ limit: 1001 }), status(400, /limit/));
      await assert.rejects(logs.read({ grep: 'g'.repeat(257) }), status(400, /grep/));
      await assert.rejects(logs.read({ nope: 1 } as never), status(400, /nope/));
    });

    it('takes % and _ in grep literally', async () => {
      const a = svc();
      await logs.write([line(a, '100% done'), line(a, '100 done'), line(a, 'a_b'), line(a, 'axb')]);
      assert.deepEqual(msgs(await logs.read({ service: a, grep: '0%' })), ['100% done']);
      assert.deepEqual(msgs(await logs.read({ service: a, grep: 'a_b' })), ['a_b']);
      assert.deepEqual(msgs(await logs.read({ service: a, grep: "'; DROP TABLE" })), []);
    });
  });
}
