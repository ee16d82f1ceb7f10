// The control plane's audit client when the control plane does not answer: report never throws or
// waits, what cannot be sent is dropped and counted, and the failure is said once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditRecord } from '../../../src/platform/audit/audit.ts';
import { createMicroAudit } from '../../../src/platform/audit/client.ts';
import {
  AUDIT_BATCH,
  auditFromEnv,
  createMemoryAudit,
  noAudit,
} from '../../../src/platform/audit/index.ts';
import type { Client } from '../../../src/runtime/client/client.ts';
import { freePort } from '../../helpers/net.ts';

const record: AuditRecord = {
  source: 'mcp',
  actor: 'alice',
  action: 'greeter.Say.Hello',
  target: 'service:greeter:Say.Hello',
  result: 'ok',
  code: 200,
  ms: 2,
};

describe('the micro audit client', () => {
  it('drops and counts what it cannot send, says so once, and never throws', async () => {
    const warnings: string[] = [];
    const audit = createMicroAudit({
      address: `127.0.0.1:${await freePort()}`,
      timeout: 1000,
      queue: 5,
      logger: { warn: (m) => void warnings.push(m) },
    });
    for (let i = 0; i < 8; i++) audit.report(record); // 3 past the queue's bound
    assert.equal(audit.dropped(), 3);
    await audit.flush();
    audit.report({ ...record, code: 1e6 }); // bad: dropped here, not sent
    audit.report(record);
    await audit.close();
    assert.equal(audit.dropped(), 10);
    assert.equal(audit.sent(), 0);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /audit records not reported/);
    audit.report(record); // after close: dropped, no throw
    assert.equal(audit.dropped(), 11);
  });

  it('drops what waits once a batch fails, so that a control plane that does not answer costs one timeout', async () => {
    // A control plane that takes each call and never answers: every call waits out its timeout.
    let calls = 0;
    const silent = {
      call: (_s: string, _e: string, _r: unknown, o?: { timeout?: number }) => {
        calls++;
        return new Promise((_, reject) =>
          setTimeout(() => reject(new Error('timed out')), o?.timeout ?? 0),
        );
      },
    } as unknown as Client;
    const audit = createMicroAudit({ client: silent, timeout: 50, logger: { warn: () => {} } });
    for (let i = 0; i < 5 * AUDIT_BATCH; i++) audit.report(record);
    await audit.close();
    assert.equal(calls, 1);
    assert.equal(audit.dropped(), 5 * AUDIT_BATCH);
  });

  it('is picked by MICRO_AUDIT: micro by default, memory, off; anything else is a TypeError', async () => {
    assert.equal(auditFromEnv({ MICRO_AUDIT: 'off' }), noAudit);
    const memory = auditFromEnv({ MICRO_AUDIT: 'memory' });
    assert.equal(typeof (memory as ReturnType<typeof createMemoryAudit>).events, 'function');
    const micro = auditFromEnv({}, { logger: { warn: () => undefined } });
    assert.equal(typeof (micro as ReturnType<typeof createMicroAudit>).sent, 'function');
    await micro.close();
    assert.throws(() => auditFromEnv({ MICRO_AUDIT: 'loud' }), {
      name: 'TypeError',
      message: /MICRO_AUDIT/,
    });
  });
});
