import { createMemoryAudit } from '../../../src/platform/audit/memory.ts';
import { runAuditCases } from '../../conformance/audit.case.ts';

runAuditCases('memory', () => {
  const audit = createMemoryAudit({ reporter: 'tester' });
  return Promise.resolve({
    audit,
    reporter: 'tester',
    report: async (records: unknown[]) => void audit.accept(records),
    published: () => Promise.resolve(audit.events()),
    stop: () => audit.close(),
  });
});
