import type { Node, Service } from './registry.ts';

/** A deep copy, so callers cannot change a registry's state by editing what it returned. */
export function copyService(s: Service): Service {
  return {
    name: s.name,
    version: s.version,
    metadata: { ...s.metadata },
    endpoints: s.endpoints.map((e) => ({ ...e, metadata: { ...e.metadata } })),
    nodes: s.nodes.map(copyNode),
  };
}

/** A copy of a node. */
export function copyNode(n: Node): Node {
  return { id: n.id, address: n.address, metadata: { ...n.metadata } };
}

/** Checks the parts of a service a registry relies on, and throws a readable error. */
export function validateService(s: Service): void {
  if (typeof s?.name !== 'string' || s.name === '') throw new TypeError('service name is required');
  if (typeof s.version !== 'string')
    throw new TypeError(`service ${s.name}: version must be a string`);
  if (!Array.isArray(s.nodes)) throw new TypeError(`service ${s.name}: nodes must be an array`);
  for (const n of s.nodes) {
    if (typeof n?.id !== 'string' || n.id === '')
      throw new TypeError(`service ${s.name}: node id is required`);
    if (typeof n.address !== 'string')
      throw new TypeError(`service ${s.name}: node ${n.id} needs an address`);
  }
}

/** Fills in optional fields so a loosely written service has the full shape. */
export function normalizeService(s: Partial<Service> & { name: string }): Service {
  return {
    name: s.name,
    version: s.version ?? 'latest',
    metadata: s.metadata ?? {},
    endpoints: (s.endpoints ?? []).map((e) => ({ ...e, metadata: e.metadata ?? {} })),
    nodes: (s.nodes ?? []).map((n) => ({ ...n, metadata: n.metadata ?? {} })),
  };
}
