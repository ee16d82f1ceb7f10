// The audit area: who did what through an edge that acts for others (audit.ts), reported to the
// control plane's `audit` service (client.ts, the default) or kept in process (memory.ts), and
// the table MICRO_AUDIT picks from: `micro` (default), `memory`, or `off` (nothing reported).
import type { Client } from '../../runtime/client/client.ts';
import { pickPlugin } from '../../runtime/plugins.ts';
import type { Audit } from './audit.ts';
import { createMicroAudit, type MicroAuditOptions } from './client.ts';
import { createMemoryAudit } from './memory.ts';

export type * from './audit.ts';
export { AUDIT_LIMITS, AUDIT_TOPIC } from './audit.ts';
export { AUDIT_BATCH, AUDIT_ID } from './validate.ts';
export { createMemoryAudit, createMicroAudit };
export type { MemoryAudit, MemoryAuditOptions } from './memory.ts';
export type { MicroAudit, MicroAuditOptions } from './client.ts';

/** An audit that reports nothing (`MICRO_AUDIT=off`). */
export const noAudit: Audit = {
  report: () => undefined,
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** The audits by name: MICRO_AUDIT picks from it. */
export const audits = {
  /** The control plane's `audit` service, which publishes each record on micro.audit; the default. */
  micro: (o: MicroAuditOptions = {}) => createMicroAudit(o),
  /** Kept in this process only: tests and single-process programs. */
  memory: () => createMemoryAudit(),
  /** Nothing reported. */
  off: () => noAudit,
} satisfies Record<string, (options?: MicroAuditOptions) => Audit>;

/** What an audit made from the environment may be given besides it. */
export interface AuditDefaults {
  /** The client the micro audit calls with (the edge's own); default: one of the control plane. */
  client?: Client;
  /** Where the micro audit says, once, that it cannot report. */
  logger?: { warn(message: string): void };
}

/** The audit named by MICRO_AUDIT (default `micro`, the control plane's, at MICRO_AUDIT_ADDRESS or through `client`). */
export function auditFromEnv(env: NodeJS.ProcessEnv, defaults: AuditDefaults = {}): Audit {
  const make = pickPlugin<(o?: MicroAuditOptions) => Audit>(
    audits,
    'audit',
    env.MICRO_AUDIT || 'micro',
    'MICRO_AUDIT',
  );
  const address = env.MICRO_AUDIT_ADDRESS || undefined;
  return make({
    ...(address && { address }),
    ...(defaults.client && !address && { client: defaults.client }),
    ...(defaults.logger && { logger: defaults.logger }),
  });
}
