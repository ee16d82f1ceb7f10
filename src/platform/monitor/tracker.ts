// The monitor's state machine: each probe of a node (what its Debug.Health answered, or why it did
// not) updates that node's status, and each change of status is appended to the history. A node is
// unhealthy once it reports `unhealthy` (a critical check fails) or `failures` probes in a row fail;
// one answer that is not `unhealthy` makes it healthy again. Degraded (a non-critical check fails)
// is healthy, flagged. What a node reports is bounded here (MAX_CHECKS checks, details cut), since
// any process can register and answer.
import type { CheckResult, HealthStatus, Monitor, NodeStatus, StatusChange } from './monitor.ts';
import { limitOf, type HistoryStore } from './history.ts';

/** Checks kept of one node's answer, at most. */
const MAX_CHECKS = 64;
/** Longest detail or check name kept, in characters. */
const MAX_DETAIL = 1000;

/** What a node's Debug.Health answered, as far as the monitor reads it (checked before use). */
export interface HealthAnswer {
  /** `ok`, `degraded` or `unhealthy`. */
  status?: unknown;
  /** Its checks' last results. */
  checks?: unknown;
}

/** One probe of a node: Debug.Health's answer, or the error that came instead. */
export interface ProbeResult {
  /** The service's name. */
  service: string;
  /** The service version the node serves. */
  version: string;
  /** The node's id. */
  node: string;
  /** The node's host:port. */
  address: string;
  /** Debug.Health's answer, when the node answered. */
  health?: HealthAnswer;
  /** Why the probe failed (the call's error), when it did. */
  error?: string;
  /** How long it took, ms. */
  ms: number;
  /** When it was made, ms since the epoch. */
  checked: number;
}

/** What one probe did: the node's status, and the change it made if any. */
export interface Observed {
  /** The node's status after the probe. */
  status: NodeStatus;
  /** The change of status, when there was one. */
  change?: StatusChange;
}

/** What the tracker gives: a Monitor, fed with probes. */
export interface Tracker extends Monitor {
  /** Takes a probe's result; returns the node's status, and the change it made if any. */
  observe(probe: ProbeResult): Observed;
  /** Forgets the nodes whose key (nodeKey) is not in `present`; returns what it forgot. */
  retain(present: Set<string>): NodeStatus[];
}

/** The key of a node in the tracker. */
export const nodeKey = (service: string, version: string, node: string): string =>
  JSON.stringify([service, version, node]);

const text = (v: unknown, max = MAX_DETAIL): string | undefined =>
  typeof v === 'string' ? v.slice(0, max) : undefined;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A node's reported checks, as far as they have the right shape. */
export function checksOf(v: unknown): CheckResult[] {
  if (!Array.isArray(v)) return [];
  return v.slice(0, MAX_CHECKS).flatMap((c: unknown): CheckResult[] => {
    if (!c || typeof c !== 'object') return [];
    const r = c as Record<string, unknown>;
    const name = text(r.name, 64);
    if (!name) return [];
    const detail = text(r.detail);
    return [
      {
        name,
        status: r.status === 'ok' ? 'ok' : 'failing',
        critical: r.critical !== false,
        ...(detail ? { detail } : {}),
        ms: num(r.ms),
        checked: num(r.checked),
      },
    ];
  });
}

/** Why a node that answered is unhealthy: its failing critical checks. */
const failingDetail = (checks: CheckResult[]): string =>
  checks
    .filter((c) => c.status === 'failing' && c.critical)
    .map((c) => (c.detail ? `${c.name}: ${c.detail}` : c.name))
    .join('; ')
    .slice(0, MAX_DETAIL) || 'the node reports unhealthy';

interface Entry {
  status: NodeStatus;
  /** Failed probes in a row. */
  misses: number;
}

/** A tracker appending to `history`; `failures` failed probes in a row make a node unhealthy. */
export function createTracker(options: { history: HistoryStore; failures?: number }): Tracker {
  const { history } = options;
  const failures = Math.max(1, options.failures ?? 2);
  const nodes = new Map<string, Entry>();

  const next = (p: ProbeResult, prev: NodeStatus | undefined, misses: number): NodeStatus => {
    const base = {
      service: p.service,
      version: p.version,
      node: p.node,
      address: p.address,
      checked: p.checked,
      ms: p.ms,
    };
    if (!p.health) {
      const status: HealthStatus = misses >= failures ? 'unhealthy' : (prev?.status ?? 'unknown');
      return {
        ...base,
        status,
        degraded: prev?.degraded ?? false,
        since: prev?.since ?? p.checked,
        checks: prev?.checks ?? [],
        ...(status === 'unhealthy'
          ? { detail: (p.error ?? 'no answer').slice(0, MAX_DETAIL) }
          : {}),
      };
    }
    const checks = checksOf(p.health.checks);
    const unhealthy = p.health.status === 'unhealthy';
    const status: HealthStatus = unhealthy ? 'unhealthy' : 'healthy';
    return {
      ...base,
      status,
      degraded:
        !unhealthy &&
        (p.health.status === 'degraded' || checks.some((c) => c.status === 'failing')),
      since: prev?.since ?? p.checked,
      checks,
      ...(unhealthy ? { detail: failingDetail(checks) } : {}),
    };
  };

  return {
    observe(p) {
      const key = nodeKey(p.service, p.version, p.node);
      const prev = nodes.get(key);
      const misses = p.health ? 0 : (prev?.misses ?? 0) + 1;
      const status = next(p, prev?.status, misses);
      const from = prev?.status.status ?? 'unknown';
      let change: StatusChange | undefined;
      if (status.status !== from) {
        status.since = p.checked;
        change = history.append({
          time: p.checked,
          service: p.service,
          version: p.version,
          node: p.node,
          from,
          to: status.status,
          ...(status.detail ? { detail: status.detail } : {}),
        });
      }
      nodes.set(key, { status, misses });
      return { status, ...(change ? { change } : {}) };
    },
    retain(present) {
      const gone: NodeStatus[] = [];
      for (const [key, e] of nodes)
        if (!present.has(key)) {
          nodes.delete(key);
          gone.push(e.status);
        }
      return gone;
    },
    status: async (query = {}) =>
      [...nodes.values()]
        .map((e) => e.status)
        .filter((s) => query.service === undefined || s.service === query.service)
        .sort(
          (a, b) =>
            a.service.localeCompare(b.service) ||
            a.version.localeCompare(b.version) ||
            a.node.localeCompare(b.node),
        ),
    history: async (query = {}) =>
      history.list({
        ...(query.service !== undefined && { service: query.service }),
        ...(query.node !== undefined && { node: query.node }),
        ...(query.since !== undefined && { since: query.since }),
        limit: limitOf(query.limit),
      }),
    close: async () => {
      nodes.clear();
      history.close();
    },
  };
}
