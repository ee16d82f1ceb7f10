// How a node is picked among those the selector left: random, round robin, and two that balance by
// load (least outstanding, latency-aware), with a table by name for MICRO_SELECTOR_STRATEGY.
// The load-aware ones read the NodeLoad the default selector passes at each pick; without it (a
// selector of another kind) they pick at random. They never fail over on their own: a node that
// erred is the selector's business (penalty, breaker), not theirs.
import type { Node, Service } from '../../registry/registry.ts';
import { pickPlugin } from '../plugins.ts';
import type { NodeLoad } from './load.ts';
import type { Next, Strategy } from './selector.ts';

function allNodes(services: Service[]): Node[] {
  return services.length === 1 ? (services[0] as Service).nodes : services.flatMap((s) => s.nodes);
}

function none(): never {
  throw new Error('no nodes');
}

const any = (nodes: Node[]): Node => nodes[Math.floor(Math.random() * nodes.length)] as Node;

/** Picks a node at random for each attempt. */
export const random: Strategy = (services): Next => {
  const nodes = allNodes(services);
  if (nodes.length === 0) return none;
  return () => any(nodes);
};

/** Where each service's turn stands, across selections (the client selects once per attempt). */
const turns = new Map<string, number>();

/**
 * Takes the service's nodes in turn, starting at a random one; the turn is kept per service name
 * across selections (and selectors of this process), for up to 10,000 names.
 */
export const roundRobin: Strategy = (services): Next => {
  const nodes = allNodes(services);
  if (nodes.length === 0) return none;
  const key = (services[0] as Service).name;
  return () => {
    let i = turns.get(key);
    if (i === undefined) {
      if (turns.size >= 10_000) turns.clear();
      i = Math.floor(Math.random() * nodes.length);
    }
    turns.set(key, (i + 1) % 1e9);
    return nodes[i % nodes.length] as Node;
  };
};

/**
 * Picks the node with the fewest calls in flight from this client, ties at random; read at each
 * attempt, so calls started meanwhile count. Without load: random.
 */
export const leastOutstanding: Strategy = (services, load): Next => {
  const nodes = allNodes(services);
  if (nodes.length === 0) return none;
  if (!load || nodes.length === 1) return () => any(nodes);
  return () => {
    let best = nodes[0] as Node;
    let min = Infinity;
    let ties = 0;
    for (const n of nodes) {
      const o = load.outstanding(n.id);
      if (o < min) {
        min = o;
        best = n;
        ties = 1;
      } else if (o === min && Math.random() * ++ties < 1) best = n; // each tie kept with odds 1/k
    }
    return best;
  };
};

/** What a node with no latency yet costs once it has a call in flight: more than any measured one. */
const UNTRIED = 1e12;

/**
 * A node's cost for latencyAware: (peak-EWMA latency + 1) x (calls in flight + 1). A node with no
 * latency yet costs nothing while idle (so it is tried), and past any measured node while its
 * first calls are out (so a new node, maybe a slow one, is not flooded before it answers).
 */
export function nodeCost(load: NodeLoad, nodeId: string): number {
  const outstanding = load.outstanding(nodeId);
  const latency = load.latency(nodeId);
  if (latency === undefined) return outstanding === 0 ? 0 : UNTRIED + outstanding;
  return (latency + 1) * (outstanding + 1);
}

/**
 * Power of two choices: takes two distinct nodes at random and picks the one of lower nodeCost
 * (ties at random). Picking from two, not the best of all, spreads a burst instead of sending it to
 * the one node that looked best. Without load: random.
 */
export const latencyAware: Strategy = (services, load): Next => {
  const nodes = allNodes(services);
  if (nodes.length === 0) return none;
  if (!load || nodes.length === 1) return () => any(nodes);
  const n = nodes.length;
  return () => {
    const i = Math.floor(Math.random() * n);
    let j = Math.floor(Math.random() * (n - 1));
    if (j >= i) j++;
    const a = nodes[i] as Node;
    const b = nodes[j] as Node;
    const ca = nodeCost(load, a.id);
    const cb = nodeCost(load, b.id);
    if (ca === cb) return Math.random() < 0.5 ? a : b;
    return ca < cb ? a : b;
  };
};

/** The strategies by name, as MICRO_SELECTOR_STRATEGY and the commands' `--strategy` name them. */
export const strategies = Object.freeze({
  random,
  /** roundRobin: each service's nodes in turn. */
  'round-robin': roundRobin,
  /** leastOutstanding: the fewest calls in flight. */
  'least-outstanding': leastOutstanding,
  /** latencyAware: the cheaper of two by peak-EWMA latency x calls in flight. */
  latency: latencyAware,
} satisfies Record<string, Strategy>);

/** A strategy's name in the table: `random`, `round-robin`, `least-outstanding`, `latency`. */
export type StrategyName = keyof typeof strategies;

/**
 * The strategy named by MICRO_SELECTOR_STRATEGY; undefined when unset or empty. An unknown name is
 * a TypeError listing the known ones.
 */
export function strategyFromEnv(env: NodeJS.ProcessEnv = process.env): Strategy | undefined {
  const name = env.MICRO_SELECTOR_STRATEGY?.trim();
  if (!name) return undefined;
  return pickPlugin(strategies, 'strategy', name, 'MICRO_SELECTOR_STRATEGY');
}
