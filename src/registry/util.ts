import { RegistryError, RegistryErrors, type Node, type Service } from './registry.ts';
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

/** A map key naming one service version. */
export const versionKey = (name: string, version: string): string => `${name}\n${version}`;

/** Merges service versions that share a name and version into one, each node id once, in the order first seen. */
export function mergeVersions(services: Iterable<Service>): Service[] {
  const merged = new Map<string, Service>();
  for (const s of services) {
    const key = versionKey(s.name, s.version);
    const known = merged.get(key);
    if (!known) merged.set(key, copyService(s));
    else
      for (const n of s.nodes)
        if (!known.nodes.some((k) => k.id === n.id)) known.nodes.push(copyNode(n));
  }
  return [...merged.values()];
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
 * type, and members a record does not have, are left as they are, for the validator to name.
 */
export function normalizeService(s: Partial<Service> & { name: string }): Service {
  const fill = <T>(v: T): T => (isObject(v) ? { ...v, metadata: v.metadata ?? {} } : v);
  return {
    ...s,
    name: s.name,
    // Only what is left out is filled in: a null is the sender's, for the validator to name.
    version: s.version === undefined ? 'latest' : s.version,
    metadata: s.metadata === undefined ? {} : s.metadata,
    endpoints: Array.isArray(s.endpoints)
      ? s.endpoints.map(fill)
      : s.endpoints === undefined
        ? []
        : s.endpoints,
    nodes: Array.isArray(s.nodes) ? s.nodes.map(fill) : s.nodes === undefined ? [] : s.nodes,
  };
}

/**
 * Service records as a person writes them (`register service JSON`, the bot's `register`): one
 * record or an array, each with a name and at least one node with an address; node ids, versions
 * and metadata left out are filled in, then checked as the registries do. Throws
 * MICRO_ERR_REGISTRY_INVALID saying what is missing, with an example.
 */
export function serviceRecords(value: unknown): Service[] {
  const invalid = (message: string): never => {
    throw new RegistryError(RegistryErrors.invalid, message);
  };
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    const s = item as Partial<Service> | null;
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string' || s.name === '')
      return invalid('a service record needs a name, e.g. {"name":"greeter","nodes":[...]}');
    if (!Array.isArray(s.nodes) || s.nodes.length === 0)
      return invalid(
        `service ${s.name} needs at least one node, e.g. "nodes":[{"id":"${s.name}-1","address":"127.0.0.1:9090"}]`,
      );
    const addressless = s.nodes.find((n: Partial<Node>) => typeof n?.address !== 'string');
    if (addressless !== undefined) invalid(`every node of ${s.name} needs an address (host:port)`);
    const service = normalizeService({
      ...s,
      name: s.name,
      nodes: s.nodes.map((n: Partial<Node>) => ({
        ...n,
        id: n.id || `${s.name}-${n.address}`,
        address: n.address as string,
        metadata: n.metadata ?? {},
      })),
    });
    validateService(service);
    return service;
  });
}
