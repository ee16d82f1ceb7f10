import type { Node, Service } from '../../registry/registry.ts';
import type { CircuitInfo } from '../resilience/policy.ts';
import type { NodeLoad } from './load.ts';

/** Returns the next node to try; throws when there is none. */
export type Next = () => Node;

/**
 * Picks nodes from the services found; `load` (given by the default selector) tells the calls in
 * flight to each node and its recent latency, for strategies that balance by load.
 */
export type Strategy = (services: Service[], load?: NodeLoad) => Next;

/** Ends what `Selector.start` began: called once, with the error when the call failed. */
export type Done = (error?: Error) => void;

/** Narrows the services found, e.g. to one version. */
export type Filter = ((services: Service[]) => Service[]) & {
  /** What the filter keeps, named in the 503 when it leaves no node (`the traffic rule of greeter ...`). */
  label?: string;
};

/** Options for one selection. */
export interface SelectOptions {
  /** Applied in order to the services found before a node is picked. */
  filters?: Filter[];
  /** How nodes are picked; the selector's own strategy when left out. */
  strategy?: Strategy;
}

/** Chooses a node of a service for each call: client-side load balancing over a cached registry view. */
export interface Selector {
  /** Resolves with a Next over the service's usable nodes. */
  select(service: string, options?: SelectOptions): Promise<Next>;
  /** Records how a call to a node went; failed nodes are avoided for a while. */
  mark(service: string, node: Node, error?: Error): void;
  /**
   * Says a call to a node began; the Done returned is called once when it ends. The default
   * selector keeps calls in flight, latency and each node's circuit from these (and then needs no
   * mark); a selector without it is told through mark.
   */
  start?(service: string, node: Node): Done;
  /** The circuits of the nodes called so far (the default selector's breakers). */
  circuits?(): CircuitInfo[];
  /**
   * An endpoint's metadata in the cached view of its service (e.g. `idempotent: 'true'`): only
   * the entries every version listing the endpoint agrees on; undefined when none is cached.
   */
  endpointMetadata?(service: string, endpoint: string): Record<string, string> | undefined;
  /** Forgets the cached view of a service. */
  reset(service: string): void;
  /** Stops its registry watches and drops the cache. */
  close(): void;
}
