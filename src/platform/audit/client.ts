// The `micro` audit, the default: records reported to the control plane's `audit` service
// (`Audit.Report`) through a runtime Client (the edge's own, or one made here that finds the
// control plane at `address`, 127.0.0.1:8000 by default).
//
// Guarantees: report never throws and never waits: a record is checked here (a bad one is dropped
// and counted, so it cannot take a batch down with it) and queued; the queue goes in a later tick
// in batches of at most AUDIT_BATCH, one call at a time, so records of one reporter are published
// in the order reported. Limits: best effort, at most once. Past `queue` records waiting (default
// 10,000), or in a batch the control plane did not take (with those waiting behind it, so an outage
// costs one call's timeout), records are dropped and counted; the failure is logged once, then
// again only after a batch went through. The calls make no spans (suppressTracing): auditing a
// traced call does not add to its trace.
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Client } from '../../runtime/client/client.ts';
import { connect, CONTROL_PLANE_ADDRESS } from '../store/client.ts';
import type { Audit, AuditRecord } from './audit.ts';
import { AUDIT_BATCH, checkRecord } from './validate.ts';

/** Options of the control plane's audit client. */
export interface MicroAuditOptions {
  /** The client to call through (the edge's own); without it one is made for `address`. */
  client?: Client;
  /** The control plane's `host:port`, when no client is given (default 127.0.0.1:8000). */
  address?: string;
  /** The reporting service's name, for the client made here (its `micro-from-service`). */
  from?: string;
  /** Records waiting at most (default 10,000); past them new ones are dropped. */
  queue?: number;
  /** Ms a report call waits for its answer (default 5,000). */
  timeout?: number;
  /** Where the failure is said, once (default: a line on stderr, never stdout). */
  logger?: { warn(message: string): void };
}

/** The control plane's audit client, with what it could not send. */
export interface MicroAudit extends Audit {
  /** Records dropped so far (bad, queue full, or their batch not taken). */
  dropped(): number;
  /** Records the control plane took so far. */
  sent(): number;
}

const stderr = { warn: (m: string) => void process.stderr.write(`micro: ${m}\n`) };

/** An audit that reports to the control plane's `audit` service in batches. */
export function createMicroAudit(options: MicroAuditOptions = {}): MicroAudit {
  const address = options.address ?? CONTROL_PLANE_ADDRESS;
  const bound = options.queue ?? 10_000;
  const timeout = options.timeout ?? 5000;
  const logger = options.logger ?? stderr;
  const where = options.client ? 'the audit service' : `the audit service at ${address}`;
  let own: Promise<Client> | undefined;
  const client = (): Promise<Client> =>
    options.client ? Promise.resolve(options.client) : (own ??= connect(address, options.from));
  let queue: AuditRecord[] = [];
  let dropped = 0;
  let sent = 0;
  let failing = false;
  let closed = false;
  let busy: Promise<void> | undefined;
  let scheduled: NodeJS.Immediate | undefined;

  const drop = (count: number, why: string): void => {
    dropped += count;
    if (failing) return;
    failing = true;
    try {
      logger.warn(`audit records not reported (${why}); dropping them until ${where} takes them`);
    } catch {
      // A logger that throws changes nothing: report never throws.
    }
  };

  const send = async (records: AuditRecord[]): Promise<void> => {
    const c = await client();
    await context.with(suppressTracing(context.active()), () =>
      c.call('audit', 'Audit.Report', { records }, { timeout, retries: 0 }),
    );
  };

  // One call at a time, so that batches arrive in the order reported.
  const drain = (): Promise<void> =>
    (busy ??= (async () => {
      while (queue.length > 0) {
        const batch = queue.slice(0, AUDIT_BATCH);
        queue = queue.slice(batch.length);
        try {
          await send(batch);
          sent += batch.length;
          failing = false;
        } catch (err) {
          // What waits goes too: a control plane that does not answer costs one timeout, not one
          // a batch (closing an edge would otherwise wait minutes on a full queue).
          drop(batch.length + queue.length, err instanceof Error ? err.message : String(err));
          queue = [];
        }
      }
    })().finally(() => {
      busy = undefined;
    }));

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = setImmediate(() => {
      scheduled = undefined;
      void drain();
    });
  };

  const flush = async (): Promise<void> => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    // A drain under way may have taken its batch before the last reports came: drain again.
    while (busy || queue.length > 0) await drain();
  };

  return {
    report(record) {
      if (closed) return void dropped++;
      if (queue.length >= bound) return drop(1, `${bound} records waiting`);
      let checked: AuditRecord;
      try {
        checked = checkRecord(record);
      } catch (err) {
        return drop(1, `a bad record: ${(err as Error).message}`);
      }
      queue.push(checked);
      schedule();
    },
    flush,
    async close() {
      await flush();
      closed = true;
      // A client that could not be made has nothing to close.
      if (own) await own.then((c) => c.close()).catch(() => undefined);
    },
    dropped: () => dropped,
    sent: () => sent,
  };
}
