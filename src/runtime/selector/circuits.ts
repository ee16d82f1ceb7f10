// What the default selector knows of each node it called: its circuit breaker, its penalty (the
// soft avoidance of a node that could not be reached), and, through the LoadTable, its calls in
// flight and latency. Fed by Selector.start/Done (and mark). Limits: at most 10,000 nodes are
// tracked (idle, closed ones are dropped first; past that a node goes untracked); nodes gone from
// the registry view are forgotten; a Done is a pooled function per node (no allocation per call in
// the steady state), so it must be called once only.

import type { Node, Service } from '../../registry/registry.ts';
import { Breaker, outcome, resolveBreaker } from '../resilience/breaker.ts';
import type { ResolvedBreakerOptions } from '../resilience/breaker.ts';
import { targetPolicy } from '../resilience/policy.ts';
import type { BreakerOptions, CircuitInfo, ResiliencyPolicy } from '../resilience/policy.ts';
import { TransportError, TransportErrors } from '../transport/transport.ts';
import type { LoadTable } from './load.ts';
import type { Done } from './selector.ts';

/** Options of a CircuitTable. */
export interface CircuitTableOptions {
  /** Every node's breaker (default on); a target policy's breaker wins for its service. */
  breaker?: BreakerOptions | false;
  /** Per target service: its `breaker`. */
  policy?: ResiliencyPolicy;
  /** Ms a node that could not be reached is avoided (doubling while it keeps failing, <= 30 s). */
  penalty: number;
  /** Where calls in flight and latencies go. */
  load: LoadTable;
  /** The clock (ms since the epoch; Date.now by default). */
  now?: () => number;
  /** Told when a node of the service could not be reached (not when it answered with an error). */
  onFault?: (service: string) => void;
}

/** The latency a failed call counts as, in ms. */
const FAILURE_MS = 1000;
const MAX_TRACKED = 10_000;
const MAX_LISTED = 1000;
const POOL = 64;
const MAX_PENALTY = 30_000;
const CLIENT = 'micro.client';

interface Nodes {
  readonly name: string;
  readonly byId: Map<string, Tracked>;
  readonly breaker: ResolvedBreakerOptions | false;
  /** Nodes whose circuit is not closed. */
  tripped: number;
  /** Nodes with a penalty set. */
  penalised: number;
}

class Tracked {
  gone = false;
  inFlight = 0;
  penaltyUntil = 0;
  penaltyCount = 0;
  readonly free: Attempt[] = [];
  readonly of: Nodes;
  node: Node;
  readonly breaker: Breaker | undefined;
  constructor(of: Nodes, node: Node, breaker: Breaker | undefined) {
    this.of = of;
    this.node = node;
    this.breaker = breaker;
  }
}

/** One call in flight; reused once it has ended. */
class Attempt {
  t = 0;
  live = false;
  readonly done: Done;
  constructor(end: (rec: Tracked, a: Attempt, error?: Error) => void, rec: Tracked) {
    this.done = (error) => end(rec, this, error);
  }
}

/** The client couldn't reach the node (vs. the node answering with an error). */
const unreachable = (error: Error): boolean => {
  const { code, id } = error as { code?: unknown; id?: unknown };
  return typeof code !== 'number' || id === CLIENT || code === 502 || code === 503;
};

const noop: Done = () => undefined;

/** The nodes a selector has called, by service. */
export class CircuitTable {
  readonly #services = new Map<string, Nodes>();
  readonly #o: CircuitTableOptions;
  readonly #now: () => number;
  #size = 0;

  /** Checks every breaker option given (a TypeError names a bad one). */
  constructor(options: CircuitTableOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    resolveBreaker(options.breaker, options.policy?.default?.breaker);
    for (const t of Object.values(options.policy?.targets ?? {}))
      resolveBreaker(options.breaker, options.policy?.default?.breaker, t.breaker);
  }

  /** A call to the node began: the Done returned ends it (once). */
  start(service: string, node: Node): Done {
    const rec = this.#track(service, node);
    if (!rec) return noop;
    this.#o.load.start(node.id);
    rec.inFlight++;
    rec.breaker?.begin();
    const a = rec.free.pop() ?? new Attempt(this.#end, rec);
    a.t = performance.now();
    a.live = true;
    return a.done;
  }

  readonly #end = (rec: Tracked, a: Attempt, error?: Error): void => this.#finish(rec, a, error);

  #finish(rec: Tracked, a: Attempt, error: Error | undefined): void {
    if (!a.live) return;
    a.live = false;
    rec.inFlight--;
    const ok = outcome(error);
    // A failure weighs as a slow answer (at least FAILURE_MS), so that a node failing fast does not
    // draw the load-aware strategies' calls; a call the caller left (a 499) teaches nothing.
    const ms = performance.now() - a.t;
    this.#o.load.end(
      rec.node.id,
      ok === undefined ? undefined : ok ? ms : Math.max(ms, FAILURE_MS),
    );
    if (rec.free.length < POOL) rec.free.push(a);
    this.#judge(rec, ok, ok === false && unreachable(error as Error));
  }

  /** A call's end told through Selector.mark: any error sets the penalty, as mark always did. */
  record(service: string, node: Node, error?: Error): void {
    const rec = this.#track(service, node);
    if (rec) this.#judge(rec, outcome(error), error !== undefined);
    else if (error) this.#o.onFault?.(service);
  }

  /** The services without nodes whose circuit is open; throws a 503 when that leaves none. */
  admit(service: string, services: Service[]): Service[] {
    const of = this.#services.get(service);
    if (!of || of.tripped === 0 || services.length === 0) return services;
    let next = Infinity;
    let total = 0;
    const out: Service[] = [];
    for (const s of services) {
      const nodes = s.nodes.filter((n) => {
        const b = of.byId.get(n.id)?.breaker;
        if (!b || b.admits()) return true;
        if (b.retryAt < next) next = b.retryAt;
        return false;
      });
      total += s.nodes.length;
      if (nodes.length === s.nodes.length) out.push(s);
      else if (nodes.length > 0) out.push({ ...s, nodes });
    }
    if (out.length > 0 || total === 0) return out;
    const secs = Math.max(1, Math.ceil((next - this.#now()) / 1000));
    // A connect error: nothing was sent, so callers that resend what could not connect do so.
    const err = new TransportError(
      TransportErrors.connect,
      503,
      `circuit open for every node of ${service} (${total} nodes); retry after ${secs} s`,
      CLIENT,
    );
    err.retryAfter = secs;
    throw err;
  }

  /** Leaves out nodes under a penalty, per version, unless that leaves the version none. */
  avoid(service: string, services: Service[]): Service[] {
    const of = this.#services.get(service);
    if (!of || of.penalised === 0) return services;
    const now = this.#now();
    const avoided = (n: Node): boolean => (of.byId.get(n.id)?.penaltyUntil ?? 0) > now;
    return services.map((s) => {
      const ok = s.nodes.filter((n) => !avoided(n));
      return ok.length === s.nodes.length || ok.length === 0 ? s : { ...s, nodes: ok };
    });
  }

  /** True while the node is under a penalty (it could not be reached lately). */
  penalised(service: string, node: Node): boolean {
    const of = this.#services.get(service);
    return !!of && of.penalised > 0 && (of.byId.get(node.id)?.penaltyUntil ?? 0) > this.#now();
  }

  /** Forgets the nodes of the service that are no longer in its registry view. */
  keep(service: string, services: Service[]): void {
    const of = this.#services.get(service);
    if (!of) return;
    const ids = new Set<string>();
    for (const s of services) for (const n of s.nodes) ids.add(n.id);
    for (const [id, rec] of of.byId) if (!ids.has(id)) this.#drop(rec);
  }

  /** The tracked nodes' circuits, those not closed first (at most 1,000). */
  circuits(): CircuitInfo[] {
    const open: CircuitInfo[] = [];
    const closed: CircuitInfo[] = [];
    for (const of of this.#services.values())
      for (const rec of of.byId.values()) {
        const b = rec.breaker;
        if (!b) continue;
        const info: CircuitInfo = {
          service: of.name,
          node: rec.node.id,
          address: rec.node.address,
          state: b.state,
          failures: b.failures,
          opened: b.opened,
        };
        if (b.openedAt !== undefined) info.openedAt = b.openedAt;
        if (!b.closed) {
          info.retryAt = b.retryAt;
          open.push(info);
        } else if (closed.length < MAX_LISTED) closed.push(info);
      }
    return [...open, ...closed].slice(0, MAX_LISTED);
  }

  /** Forgets everything. */
  clear(): void {
    this.#services.clear();
    this.#size = 0;
  }

  #judge(rec: Tracked, ok: boolean | undefined, fault: boolean): void {
    const b = rec.breaker;
    if (b) {
      const was = b.closed;
      b.end(ok);
      if (!rec.gone && was !== b.closed) rec.of.tripped += was ? 1 : -1;
    }
    if (ok === true && rec.penaltyCount > 0) {
      rec.penaltyCount = 0;
      rec.penaltyUntil = 0;
      if (!rec.gone) rec.of.penalised--;
    } else if (fault) {
      if (rec.penaltyCount === 0 && !rec.gone) rec.of.penalised++;
      rec.penaltyCount++;
      const ms = Math.min(this.#o.penalty * 2 ** (rec.penaltyCount - 1), MAX_PENALTY);
      rec.penaltyUntil = this.#now() + ms;
      this.#o.onFault?.(rec.of.name);
    }
  }

  #track(service: string, node: Node): Tracked | undefined {
    let of = this.#services.get(service);
    if (!of) {
      const p = targetPolicy(this.#o.policy, service);
      of = {
        name: service,
        byId: new Map(),
        breaker: resolveBreaker(this.#o.breaker, p?.breaker),
        tripped: 0,
        penalised: 0,
      };
      this.#services.set(service, of);
    }
    let rec = of.byId.get(node.id);
    if (rec) {
      if (rec.node !== node) rec.node = node;
      return rec;
    }
    if (this.#size >= MAX_TRACKED && !this.#prune()) return undefined;
    rec = new Tracked(of, node, of.breaker ? new Breaker(of.breaker, this.#now) : undefined);
    of.byId.set(node.id, rec);
    this.#size++;
    return rec;
  }

  #drop(rec: Tracked): void {
    if (rec.gone) return;
    rec.gone = true;
    if (rec.breaker && !rec.breaker.closed) rec.of.tripped--;
    if (rec.penaltyCount > 0) rec.of.penalised--;
    rec.of.byId.delete(rec.node.id);
    this.#size--;
  }

  /** Drops idle nodes with a closed circuit and no penalty; true when room was made. */
  #prune(): boolean {
    for (const of of this.#services.values())
      for (const rec of of.byId.values())
        if (rec.inFlight === 0 && rec.penaltyCount === 0 && (rec.breaker?.closed ?? true))
          this.#drop(rec);
    return this.#size < MAX_TRACKED;
  }
}
