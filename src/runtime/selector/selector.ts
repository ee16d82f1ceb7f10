import type { Node, Service } from '../../registry/registry.ts';

/** Returns the next node to try; throws when there is none. */
export type Next = () => Node;

/** Picks nodes from the services found. */
export type Strategy = (services: Service[]) => Next;

/** Narrows the services found, e.g. to one version. */
export type Filter = (services: Service[]) => Service[];

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
  /** Forgets the cached view of a service. */
  reset(service: string): void;
  /** Stops its registry watches and drops the cache. */
  close(): void;
}
