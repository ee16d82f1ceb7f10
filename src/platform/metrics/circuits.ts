// Circuits in the metrics: a node's client breakers (its selector's `circuits()`) as Prometheus
// series, `micro_circuit_state{target,node}` (0 closed, 1 half-open, 2 open) and
// `micro_circuit_opened_total{target}`, and the metrics service's book of the latest circuits per
// calling node. The book keeps no history: each round replaces a node's list, a node that answers
// none (or leaves the registry) is forgotten. Bounds: MAX_NODE_CIRCUITS per node, MAX_CIRCUITS in
// all (a node past it is left out until others leave). The opened counter stays monotonic when the
// selector forgets a node: what that node had opened is carried in its target's total.
import type { Registry } from 'prom-client';
import type { CircuitInfo, CircuitState } from '../../runtime/resilience/policy.ts';
import type { NodeCircuits } from './metrics.ts';
import { computedMetric } from './registry.ts';

/** Circuits taken from one node's answer at most. */
export const MAX_NODE_CIRCUITS = 256;
/** Circuits the metrics service keeps at most, over every node. */
export const MAX_CIRCUITS = 50_000;
/** Targets whose opened count the exposition keeps at most. */
const MAX_TARGETS = 10_000;

/** A circuit state as the gauge's value. */
export const STATE_VALUE: Readonly<Record<CircuitState, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

const key = (a: string, b: string): string => `${a}\u0000${b}`;

/** Adds the circuit series to a service's registry, read from `circuits` when scraped. */
export function registerCircuitMetrics(register: Registry, circuits: () => CircuitInfo[]): void {
  // The opened counts of nodes the selector no longer lists, by target, and the last seen per node.
  const retired = new Map<string, number>();
  const last = new Map<string, { target: string; opened: number }>();
  const opened = (): Map<string, number> => {
    const now = circuits();
    const seen = new Set<string>();
    const retire = (target: string, n: number): void => {
      if (retired.has(target) || retired.size < MAX_TARGETS)
        retired.set(target, (retired.get(target) ?? 0) + n);
    };
    for (const c of now) {
      const k = key(c.service, c.node);
      seen.add(k);
      const before = last.get(k);
      // Fewer than before: a new breaker for the same node; the old one's opens stay counted.
      if (before && c.opened < before.opened) retire(c.service, before.opened);
      last.set(k, { target: c.service, opened: c.opened });
    }
    for (const [k, l] of last)
      if (!seen.has(k)) {
        retire(l.target, l.opened);
        last.delete(k);
      }
    const totals = new Map(retired);
    for (const c of now) totals.set(c.service, (totals.get(c.service) ?? 0) + c.opened);
    return totals;
  };
  register.registerMetric(
    computedMetric(
      'micro_circuit_state',
      "The circuit of each node the service's client called: 0 closed, 1 half-open, 2 open.",
      'gauge',
      () =>
        circuits().map((c) => ({
          value: STATE_VALUE[c.state],
          labels: { target: c.service, node: c.node },
        })),
    ),
  );
  register.registerMetric(
    computedMetric(
      'micro_circuit_opened_total',
      "Times a circuit of the target's nodes opened, in the service's client.",
      'counter',
      () => [...opened()].map(([target, value]) => ({ value, labels: { target } })),
    ),
  );
}

const STATES = new Set<string>(Object.keys(STATE_VALUE));
const text = (v: unknown, max = 256): v is string =>
  typeof v === 'string' && v !== '' && v.length <= max;
const count = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && Number.isInteger(v);
const time = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

/** One circuit, if well formed. */
function circuitOf(v: unknown): CircuitInfo | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const c = v as Record<string, unknown>;
  if (!text(c.service) || !text(c.node) || !count(c.failures) || !count(c.opened)) return undefined;
  if (typeof c.state !== 'string' || !STATES.has(c.state)) return undefined;
  const openedAt = time(c.openedAt);
  const retryAt = time(c.retryAt);
  return {
    service: c.service,
    node: c.node,
    address: text(c.address) ? c.address : '',
    state: c.state as CircuitState,
    failures: c.failures,
    ...(openedAt !== undefined && { openedAt }),
    ...(retryAt !== undefined && { retryAt }),
    opened: c.opened,
  };
}

/** The well-formed circuits of a Debug.Metrics answer (none when it has none), at most MAX_NODE_CIRCUITS. */
export function answeredCircuits(body: unknown): CircuitInfo[] {
  const list = (body as { circuits?: unknown } | null)?.circuits;
  if (!Array.isArray(list)) return [];
  const out: CircuitInfo[] = [];
  for (const item of list.slice(0, MAX_NODE_CIRCUITS)) {
    const c = circuitOf(item);
    if (c) out.push(c);
  }
  return out;
}

/** The latest circuits of each calling node, as the metrics service keeps them. */
export class CircuitBook {
  readonly #nodes = new Map<string, NodeCircuits>();
  #size = 0;

  /** Takes a node's circuits (read at `at`); an empty list forgets it. */
  observe(service: string, node: string, circuits: CircuitInfo[], at: number): void {
    const k = key(service, node);
    const before = this.#nodes.get(k);
    const size = this.#size - (before?.circuits.length ?? 0);
    if (circuits.length === 0 || size + circuits.length > MAX_CIRCUITS) {
      if (before) this.#nodes.delete(k);
      this.#size = size;
      return;
    }
    this.#nodes.set(k, { service, node, time: at, circuits });
    this.#size = size + circuits.length;
  }

  /** Forgets the nodes not registered (`registered` holds History.nodeKey keys). */
  keep(registered: ReadonlySet<string>): void {
    for (const [k, n] of this.#nodes)
      if (!registered.has(k)) {
        this.#nodes.delete(k);
        this.#size -= n.circuits.length;
      }
  }

  /** Every node's circuits; with a service: its nodes', and the others' circuits to it. */
  list(service?: string): NodeCircuits[] {
    const out: NodeCircuits[] = [];
    for (const n of this.#nodes.values()) {
      if (service === undefined || n.service === service) out.push(n);
      else {
        const to = n.circuits.filter((c) => c.service === service);
        if (to.length > 0) out.push({ ...n, circuits: to });
      }
    }
    return out.sort((a, b) =>
      a.service === b.service ? a.node.localeCompare(b.node) : a.service.localeCompare(b.service),
    );
  }
}
