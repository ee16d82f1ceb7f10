// What the client knows of each node's load: the calls it has in flight there and a peak-EWMA of
// their latency (jumping up at once to a slower answer, decaying over about 10 s, also while no
// answer comes, so that a node once slow is tried again). Strategies that balance by load (least
// outstanding, latency-aware) read it; the selector keeps it from the start/done of each call.
// Entries of nodes idle for 5 minutes are dropped past 10,000 nodes.

/** A read-only view of the nodes' load, as strategies see it. */
export interface NodeLoad {
  /** Calls this client has in flight to the node. */
  outstanding(nodeId: string): number;
  /** The node's peak-EWMA latency in ms; undefined before its first answer. */
  latency(nodeId: string): number | undefined;
}

interface Entry {
  outstanding: number;
  ewma: number | undefined;
  at: number;
}

const TAU = 10_000;
const MAX = 10_000;
const IDLE = 5 * 60_000;

/** The load table a selector keeps. */
export class LoadTable implements NodeLoad {
  readonly #nodes = new Map<string, Entry>();

  outstanding(nodeId: string): number {
    return this.#nodes.get(nodeId)?.outstanding ?? 0;
  }

  latency(nodeId: string): number | undefined {
    const e = this.#nodes.get(nodeId);
    if (e?.ewma === undefined) return undefined;
    return e.ewma * Math.exp(-Math.max(0, Date.now() - e.at) / TAU);
  }

  /** A call to the node began. */
  start(nodeId: string): void {
    let e = this.#nodes.get(nodeId);
    if (!e) {
      if (this.#nodes.size >= MAX) this.#prune();
      this.#nodes.set(nodeId, (e = { outstanding: 0, ewma: undefined, at: Date.now() }));
    }
    e.outstanding++;
  }

  /** A call to the node ended after `ms` (undefined: it taught nothing of its latency). */
  end(nodeId: string, ms: number | undefined): void {
    const e = this.#nodes.get(nodeId);
    if (!e) return;
    if (e.outstanding > 0) e.outstanding--;
    if (ms === undefined) return;
    const now = Date.now();
    const w = Math.exp(-Math.max(0, now - e.at) / TAU);
    const decayed = e.ewma === undefined ? undefined : e.ewma * w;
    e.ewma = decayed === undefined || ms > decayed ? ms : decayed + ms * (1 - w);
    e.at = now;
  }

  #prune(): void {
    const old = Date.now() - IDLE;
    for (const [id, e] of this.#nodes)
      if (e.outstanding === 0 && e.at < old) this.#nodes.delete(id);
  }
}
