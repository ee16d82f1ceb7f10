import type { Node, Service } from './registry.ts';
import { isObject, recordCheck } from './validate.ts';

/** A deep copy, so callers cannot change a registry's state by editing what it returned. */
export function copyService(s: Service): Service {
  return {
    name: s.name,
    version: s.version,
    metadata: { ...s.metadata },
    endpoints: (s.endpoints ?? []).map((e) => ({ ...e, metadata: { ...e.metadata } })),
    nodes: s.nodes.map(copyNode),
  };
}

/** A copy of a node. */
export function copyNode(n: Node): Node {
  return { id: n.id, address: n.address, metadata: { ...n.metadata } };
}

/** Checks a record against the default limits (validate.ts); throws MICRO_ERR_REGISTRY_INVALID naming the field. */
export function validateService(s: Service): void {
  defaults.registration(s);
}

const defaults = recordCheck();

/**
 * Fills in optional fields so a loosely written service has the full shape. Parts of the wrong
 * type are left as they are, for the validator to name.
 */
export function normalizeService(s: Partial<Service> & { name: string }): Service {
  const fill = <T>(v: T): T => (isObject(v) ? { ...v, metadata: v.metadata ?? {} } : v);
  return {
    name: s.name,
    version: s.version ?? 'latest',
    metadata: s.metadata ?? {},
    endpoints: Array.isArray(s.endpoints) ? s.endpoints.map(fill) : (s.endpoints ?? []),
    nodes: Array.isArray(s.nodes) ? s.nodes.map(fill) : (s.nodes ?? []),
  };
}
