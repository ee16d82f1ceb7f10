// The control plane's `audit` service: `Audit.Report` ({records} -> {}) takes a batch of audit
// records from an edge that acts for others (`micro mcp`), checks each against AUDIT_LIMITS (one
// bad record is a 400 naming its field, and nothing of the batch is published), stamps each with
// who reported it and a summary line, and publishes each on `micro.audit` through the control
// plane's emit (only the control plane publishes to `micro.*`). The reporter is the verified
// caller's account when auth is on (the `micro-from-service` a caller sends is not verified), else
// that `micro-from-service`, else `unknown`. With auth on, the guard lets any account call it
// (seed rule `audit-report`). Guarantees: those of platform events (best effort, at most once, in
// the order reported per reporter); nothing is stored here: the events area keeps the events.
import { closed, closedShape } from '../../runtime/server/closed.ts';
import { endpoint } from '../../runtime/server/declare.ts';
import type { Context } from '../../runtime/context.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import { lateEmit, type PlatformEmit } from '../events/platform.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import { AUDIT_LIMITS, AUDIT_TOPIC } from './audit.ts';
import { AUDIT_BATCH, AUDIT_ID, AUDIT_RESULTS, checkRecords, stamp } from './validate.ts';

const text = (description: string) => ({
  type: 'string',
  minLength: 1,
  maxLength: AUDIT_LIMITS.field,
  description,
});
const record = closedShape(
  {
    source: text('what reported it: mcp, bot'),
    actor: text('who acted: an account id, or anonymous'),
    action: text('what was done: the tool or command'),
    target: text('what it was done to: service:greeter:Say.Hello'),
    result: { enum: [...AUDIT_RESULTS] },
    code: { type: 'integer', minimum: 0, maximum: 999, description: '200, or the error code' },
    ms: { type: 'number', minimum: 0, description: 'how long it took' },
    detail: { type: 'string', description: `the error's detail (cut at ${AUDIT_LIMITS.detail})` },
    labels: {
      type: 'object',
      maxProperties: AUDIT_LIMITS.labels,
      additionalProperties: { type: 'string', maxLength: AUDIT_LIMITS.label },
    },
  },
  ['source', 'actor', 'action', 'target', 'result', 'code', 'ms'],
);

/** Who reported a call: the verified account, else the caller's service name, else `unknown`. */
export function reporterOf(ctx: Context): string {
  const who = ctx.caller?.id || ctx.from || 'unknown';
  return who.slice(0, AUDIT_LIMITS.field);
}

/** The Audit handler: each record of a report, checked and stamped, published through `emit`. */
export function auditHandler(emit: PlatformEmit): Handler {
  return {
    Report: endpoint(
      {
        metadata: {
          description: 'Publishes audit records on micro.audit, stamped with who reported them',
        },
        request: closed(
          AUDIT_ID,
          'Audit.Report',
          closedShape({ records: { type: 'array', maxItems: AUDIT_BATCH, items: record } }, [
            'records',
          ]),
          (req) => ({ records: checkRecords(req.records) }),
        ),
      },
      (req, ctx) => {
        const reporter = reporterOf(ctx);
        for (const r of req.records) emit(AUDIT_TOPIC, { ...stamp(r, reporter) });
        return {};
      },
    ),
  };
}

/** Hosts the audit service: nothing stored, each record published on the control plane's events. */
export function hostAudit(context: HostContext): Promise<Hosted> {
  return Promise.resolve({
    handlers: { Audit: auditHandler(lateEmit(() => context.emit)) },
    close: () => Promise.resolve(),
  });
}
