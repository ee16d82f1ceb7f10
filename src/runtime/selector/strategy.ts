import type { Node, Service } from '../../registry/registry.ts';
import type { Next, Strategy } from './selector.ts';

function allNodes(services: Service[]): Node[] {
  return services.length === 1 ? (services[0] as Service).nodes : services.flatMap((s) => s.nodes);
}

function none(): never {
  throw new Error('no nodes');
}

/** Picks a node at random for each attempt. */
export const random: Strategy = (services): Next => {
  const nodes = allNodes(services);
  if (nodes.length === 0) return none;
  return () => nodes[Math.floor(Math.random() * nodes.length)] as Node;
};

/** Takes nodes in turn, starting at a random one. */
export const roundRobin: Strategy = (services): Next => {
  const nodes = allNodes(services);
  if (nodes.length === 0) return none;
  let i = Math.floor(Math.random() * nodes.length);
  return () => nodes[i++ % nodes.length] as Node;
};
