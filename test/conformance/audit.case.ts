// The audit contract: one suite run unchanged against every Audit (memory, the control plane's
// `audit` service through its client). Each test reports as an actor of its own, so a backend
// shared between tests needs no cleaning. A setup gives the Audit, the reporter its events are
// stamped with, the raw report (what `Audit.Report` does with a batch) and the events published.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  AUDIT_LIMITS,
  type Audit,
  type AuditEvent,
  type AuditRecord,
} from '../../src/platform/audit/audit.ts';
import { AUDIT_BATCH } from '../../src/platform/audit/validate.ts';

/** An Audit made for the suite. */
export interface AuditSetup {
  audit: Audit;
  /** The `reporter` its events are stamped with. */
  reporter: string;
  /** Takes one batch as `Audit.Report` does: all published, or rejected with its 400. */
  report(records: unknown[]): Promise<void>;
  /** The audit events published so far (on micro.audit), oldest first. */
  published(): Promise<AuditEvent[]>;
  stop(): Promise<void>;
}

/** Ms a test waits at most for its events to be published. */
const WAIT = 10_000;

const status = (code: number, field?: RegExp) => (err: unknown) => {
  assert.equal((err as { code?: unknown }).code, code, String(err));
  if (field) assert.match((err as { detail: string }).detail, field);
  return true;
};

/** The audit contract, run unchanged against every implementation. */
export function runAuditCases(label: string, setup: () => Promise<AuditSetup>): void {
  describe(`audit contract: ${label}`, () => {
    let s: AuditSetup;
    before(async () => {
      s = await setup();
    });
    after(() => s.stop());
    const actor = () => `actor-${randomUUID().slice(0, 8)}`;
    const rec = (who: string, more: Partial<AuditRecord> = {}): AuditRecord => ({
      source: 'mcp',
      actor: who,
      action: 'greeter.Say.Hello',
      target: 'service:greeter:Say.Hello',
      result: 'ok',
      code: 200,
      ms: 3,
      ...more,
    });
    /** The events of `who`, once there are `count` of them (polled within WAIT). */
    const eventsOf = async (who: string, count: number): Promise<AuditEvent[]> => {
      const deadline = Date.now() + WAIT;
      for (;;) {
        const mine = (await s.published()).filter((e) => e.actor === who);
        if (mine.length >= count || Date.now() > deadline) return mine;
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    it('publishes a report as an event with its reporter and a summary line', async () => {
      const who = actor();
      const labels = { client: 'claude/1.0', session: 's-1', transport: 'http', ip: '127.0.0.1' };
      s.audit.report(rec(who, { labels }));
      s.audit.report(rec(who, { result: 'error', code: 500, ms: 12.4, detail: 'boom' }));
      await s.audit.flush();
      const got = await eventsOf(who, 2);
      assert.deepEqual(got, [
        {
          ...rec(who, { labels }),
          reporter: s.reporter,
          summary: `mcp: ${who} called greeter.Say.Hello: ok in 3 ms`,
        },
        {
          ...rec(who, { result: 'error', code: 500, ms: 12.4, detail: 'boom' }),
          reporter: s.reporter,
          summary: `mcp: ${who} called greeter.Say.Hello: error 500 in 12 ms`,
        },
      ]);
    });

    it('keeps records of one reporter in the order reported, across batches', async () => {
      const who = actor();
      const count = AUDIT_BATCH * 2 + 17;
      for (let i = 0; i < count; i++) s.audit.report(rec(who, { action: `tool.${i}` }));
      await s.audit.flush();
      const got = await eventsOf(who, count);
      assert.deepEqual(
        got.map((e) => e.action),
        Array.from({ length: count }, (_, i) => `tool.${i}`),
      );
    });

    it('refuses a bad record with a 400 naming its field, publishing nothing of its batch', async () => {
      const who = actor();
      const bad: [unknown, RegExp][] = [
        ['a record', /records\[1\] must be a JSON object/],
        [{ ...rec(who), action: undefined }, /records\[1\]\.action/],
        [{ ...rec(who), actor: '' }, /records\[1\]\.actor/],
        [{ ...rec(who), target: 't'.repeat(AUDIT_LIMITS.field + 1) }, /records\[1\]\.target/],
        [{ ...rec(who), result: 'maybe' }, /records\[1\]\.result/],
        [{ ...rec(who), code: '200' }, /records\[1\]\.code/],
        [{ ...rec(who), code: 1.5 }, /records\[1\]\.code/],
        [{ ...rec(who), ms: -1 }, /records\[1\]\.ms/],
        [{ ...rec(who), detail: 7 }, /records\[1\]\.detail/],
        [{ ...rec(who), labels: ['a'] }, /records\[1\]\.labels/],
        [{ ...rec(who), labels: { n: 1 } }, /records\[1\]\.labels\.n/],
        [{ ...rec(who), extra: true }, /records\[1\]\.extra/],
      ];
      for (const [record, field] of bad)
        await assert.rejects(s.report([rec(who), record]), status(400, field));
      await assert.rejects(
        s.report(Array.from({ length: AUDIT_BATCH + 1 }, () => rec(who))),
        status(400, /records/),
      );
      // A record reported after them is the first and only event of this actor.
      s.audit.report(rec(who, { action: 'after' }));
      await s.audit.flush();
      const got = await eventsOf(who, 1);
      assert.deepEqual(
        got.map((e) => e.action),
        ['after'],
      );
    });

    it('takes records at their bounds, and cuts a long detail', async () => {
      const who = actor();
      const at = 'x'.repeat(AUDIT_LIMITS.field);
      const labels = Object.fromEntries(
        Array.from({ length: AUDIT_LIMITS.labels }, (_, i) => [
          `${i}`.padEnd(AUDIT_LIMITS.label, 'k'),
          'v'.repeat(AUDIT_LIMITS.label),
        ]),
      );
      await s.report([
        rec(who, { action: at, target: at, source: at, labels }),
        rec(who, { detail: 'd'.repeat(AUDIT_LIMITS.detail * 3), result: 'refused', code: 403 }),
      ]);
      const got = await eventsOf(who, 2);
      assert.equal(got.length, 2);
      assert.equal(got[0]!.action, at);
      assert.deepEqual(got[0]!.labels, labels);
      assert.equal(got[1]!.detail, 'd'.repeat(AUDIT_LIMITS.detail));
      assert.match(got[1]!.summary, /: refused 403 in 3 ms$/);
      const tooMany = { ...labels, one: 'more' };
      await assert.rejects(s.report([rec(who, { labels: tooMany })]), status(400, /labels/));
      const longKey = { ['k'.repeat(AUDIT_LIMITS.label + 1)]: 'v' };
      await assert.rejects(s.report([rec(who, { labels: longKey })]), status(400, /labels/));
      const longValue = { k: 'v'.repeat(AUDIT_LIMITS.label + 1) };
      await assert.rejects(s.report([rec(who, { labels: longValue })]), status(400, /labels\.k/));
    });

    it('keeps labels named like Object properties (__proto__, constructor) as labels', async () => {
      const who = actor();
      const labels = JSON.parse(
        '{"__proto__": "p", "constructor": "c", "ip": "127.0.0.1"}',
      ) as Record<string, string>;
      await s.report([rec(who, { labels })]);
      const [got] = await eventsOf(who, 1);
      assert.deepEqual(Object.entries(got?.labels ?? {}).sort(), [
        ['__proto__', 'p'],
        ['constructor', 'c'],
        ['ip', '127.0.0.1'],
      ]);
      assert.equal(Object.getPrototypeOf(got?.labels), Object.prototype);
    });

    it('never throws from report: a bad record is dropped, the good ones go', async () => {
      const who = actor();
      assert.doesNotThrow(() => s.audit.report({ ...rec(who), code: -5 }));
      assert.doesNotThrow(() => s.audit.report(null as unknown as AuditRecord));
      s.audit.report(rec(who, { action: 'good' }));
      await s.audit.flush();
      const got = await eventsOf(who, 1);
      assert.deepEqual(
        got.map((e) => e.action),
        ['good'],
      );
    });

    it('keeps control characters out of the summary line', async () => {
      const who = `${actor()}\u001b[2J\n`;
      await s.report([rec(who, { action: 'tool\rname' })]);
      const [got] = await eventsOf(who, 1);
      assert.ok(got, 'the event was published');
      assert.equal(got.actor, who);
      assert.ok(![...got.summary].some((c) => c.charCodeAt(0) < 0x20), got.summary);
    });
  });
}
