// The audit area (issue 21 point 3): who did what through an edge that acts for others (`micro mcp`
// today, the bot next), kept as `micro.audit` platform events, so that one subscription, `micro
// events`, the dashboard and the explorer see every tool call. Edges report; the control plane
// checks each record's shape, stamps who reported it and publishes it (only the control plane
// publishes to `micro.*`).
//
// Recipe: audit.ts (this interface), memory.ts (in process, for unit tests), service.ts (the
// control plane's `audit` service: `Audit.Report`), client.ts (the `micro` implementation that
// calls it; the default). Guarantees: best effort, at most once, like every platform event; a
// report never waits on the call it records and never fails it. Limits: AUDIT_LIMITS.

/** One audited action. */
export interface AuditRecord {
  /** What reported it: `mcp`, `bot`. */
  source: string;
  /** Who acted: an account id, or `anonymous`. */
  actor: string;
  /** What was done: the tool or command (`greeter.Say.Hello`). */
  action: string;
  /** What it was done to: `service:greeter:Say.Hello`. */
  target: string;
  /** `ok`, `error` or `refused`. */
  result: 'ok' | 'error' | 'refused';
  /** 200, or the error's code. */
  code: number;
  /** How long it took, in ms. */
  ms: number;
  /** The error's detail, when it failed. */
  detail?: string;
  /** Source-specific strings: the MCP client, session, transport, peer address. */
  labels?: Record<string, string>;
}

/** An audit record as published: with who reported it and a summary line. */
export interface AuditEvent extends AuditRecord {
  /** The reporting service (its verified account when auth is on, else its micro-from-service). */
  reporter: string;
  /** One human line: `mcp: alice called greeter.Say.Hello: ok in 3 ms`. */
  summary: string;
}

/** The topic audit events are published on. */
export const AUDIT_TOPIC = 'micro.audit';

/** Bounds of a record. */
export const AUDIT_LIMITS = {
  /** Characters of source, actor, action, target. */
  field: 256,
  /** Characters of detail (longer is cut). */
  detail: 300,
  /** Labels at most, and characters of each key and value. */
  labels: 16,
  label: 256,
} as const;

/** Reports audit records. */
export interface Audit {
  /** Queues a record; never throws, never waits on the control plane. */
  report(record: AuditRecord): void;
  /** Resolves once every record reported so far was sent or dropped. */
  flush(): Promise<void>;
  /** Flushes, then stops. */
  close(): Promise<void>;
}
