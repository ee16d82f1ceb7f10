// The audit contract against a real control plane's `audit` service (its events read back from
// micro.audit through the events area), and the reporter it stamps with auth on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../../src/platform/audit/audit.ts';
import { createMicroAudit } from '../../../src/platform/audit/client.ts';
import { createMicroEvents } from '../../../src/platform/events/client.ts';
import type { EventRecord } from '../../../src/platform/events/events.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';
import { runAuditCases } from '../../conformance/audit.case.ts';
import { AuthCalls, callWith } from '../../helpers/auth-calls.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import { quiet } from '../../helpers/fixtures.ts';

/** Every event of micro.audit, read page by page (at most 50 pages). */
async function readAll(read: (from: number) => Promise<{ events: EventRecord[]; next?: number }>) {
  const out: AuditEvent[] = [];
  let from = 1;
  for (let page = 0; page < 50; page++) {
    const got = await read(from);
    out.push(...got.events.map((e) => e.data as AuditEvent));
    if (got.next === undefined) break;
    from = got.next;
  }
  return out;
}

runAuditCases('micro (a real control plane)', async () => {
  const cp = await startTestControlPlane('micro-audit-');
  const client = createClient({
    registry: createMicroRegistry({ address: cp.address }),
    name: 'audit-tester',
  });
  const audit = createMicroAudit({ client, logger: quiet });
  const events = createMicroEvents({ client });
  return {
    audit,
    reporter: 'audit-tester',
    report: async (records) => void (await client.call('audit', 'Audit.Report', { records })),
    published: () => readAll((from) => events.read('micro.audit', { from, limit: 1000 })),
    async stop() {
      await audit.close();
      await events.close();
      await client.close();
      await cp.stop();
    },
  };
});

describe('the audit service with auth on', () => {
  let cp: TestControlPlane;
  let calls: AuthCalls;
  before(async () => {
    cp = await startTestControlPlane('micro-audit-auth-', { auth: true });
    calls = new AuthCalls(cp);
  });
  after(() => cp.stop());
  const record = (actor: string) => ({
    source: 'mcp',
    actor,
    action: 'greeter.Say.Hello',
    target: 'service:greeter:Say.Hello',
    result: 'ok',
    code: 200,
    ms: 1,
  });
  const report = (body: unknown, token?: string, from?: string) =>
    fetch(`http://${cp.services.audit}/`, {
      method: 'POST',
      headers: {
        'micro-service': 'audit',
        'micro-endpoint': 'Audit.Report',
        'content-type': 'application/json',
        ...(from !== undefined && { 'micro-from-service': from }),
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });

  it('takes reports from any account, stamped with the verified account, not a claimed name', async () => {
    const alice = await calls.account('alice', 'user');
    const anonymous = await report({ records: [record('nobody')] });
    assert.equal(anonymous.status, 401);
    const ok = await report({ records: [record('bob')] }, alice, 'impostor');
    assert.equal(ok.status, 200, await ok.clone().text());
    const admin = await calls.admin();
    const deadline = Date.now() + 10_000;
    let got: AuditEvent[] = [];
    while (got.length === 0 && Date.now() < deadline) {
      const a = await callWith(
        cp.services.events!,
        'events',
        'Events.Read',
        { topic: 'micro.audit' },
        admin,
      );
      assert.equal(a.status, 200, JSON.stringify(a.body));
      got = (a.body.events as EventRecord[]).map((e) => e.data as AuditEvent);
      if (got.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(
      got.map((e) => [e.actor, e.reporter]),
      [['bob', 'alice']],
    );
  });
});
