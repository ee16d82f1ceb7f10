// Monitoring: the control plane runs every node's health checks (Debug.Health) on an interval,
// keeps each node's status and its history (SQLite, bounded), marks unhealthy nodes so that
// selectors skip them, and publishes each change on the `micro.health` platform topic. One
// interface for the control plane's `monitor` service and the in-process memory one (tests).

/** A node's status: every critical check passes, one fails, or it was not reached yet. */
export type HealthStatus = 'healthy' | 'unhealthy' | 'unknown';

/** One check's last result, as Debug.Health reports it. */
export interface CheckResult {
  /** The check's name (`database`, `disk`). */
  name: string;
  /** Whether it passed. */
  status: 'ok' | 'failing';
  /** A failing critical check makes the node unhealthy; a non-critical one only degrades it. */
  critical: boolean;
  /** What the check said (its error's message when failing), cut to 1,000 characters. */
  detail?: string;
  /** How long it took, ms. */
  ms: number;
  /** When it ran, ms since the epoch. */
  checked: number;
}

/** A node's current status. */
export interface NodeStatus {
  /** The service's name. */
  service: string;
  /** The service version the node serves. */
  version: string;
  /** The node's id. */
  node: string;
  /** The node's host:port. */
  address: string;
  /** Its status as the monitor last saw it. */
  status: HealthStatus;
  /** Some non-critical check fails (the node is still healthy). */
  degraded: boolean;
  /** Since when it has had this status, ms since the epoch. */
  since: number;
  /** When the control plane last probed it, ms since the epoch. */
  checked: number;
  /** How long the last probe took, ms. */
  ms: number;
  /** Its checks' last results. */
  checks: CheckResult[];
  /** Why it is unhealthy (the failing checks, or the probe's error). */
  detail?: string;
}

/** A change of a node's status. */
export interface StatusChange {
  /** Its place in the history, increasing. */
  id: number;
  /** When, ms since the epoch. */
  time: number;
  /** The service's name. */
  service: string;
  /** The service version the node serves. */
  version: string;
  /** The node's id. */
  node: string;
  /** Its status before. */
  from: HealthStatus;
  /** Its status after. */
  to: HealthStatus;
  /** Why (the failing checks, or the probe's error). */
  detail?: string;
}

/** Reads the monitor's view of the fleet. */
export interface Monitor {
  /** The current status of every node (of one service, when named). */
  status(query?: { service?: string }): Promise<NodeStatus[]>;
  /** Changes, newest first (of one service or node, since a time; default limit 100, at most 1,000). */
  history(query?: {
    service?: string;
    node?: string;
    since?: number;
    limit?: number;
  }): Promise<StatusChange[]>;
  /** Releases what it holds. */
  close(): Promise<void>;
}
