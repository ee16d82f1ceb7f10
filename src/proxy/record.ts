/** Registry records as the gateway trusts them: any registry (etcd, NATS, a peer) may hold odd ones. */
import type { Endpoint, Node, Schema, Service } from '../registry/registry.ts';

/** Nesting levels and nodes a schema may have; a schema over them is dropped (the endpoint stays). */
const SCHEMA_DEPTH = 64;
const SCHEMA_NODES = 10_000;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The string values of a metadata map; anything else is left out. */
function cleanMetadata(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  const out: [string, string][] = [];
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out.push([k, x]);
  return Object.fromEntries(out);
}

/**
 * A JSON schema the gateway can serialize and walk: a plain object within SCHEMA_DEPTH levels and
 * SCHEMA_NODES values (a cycle passes neither), checked without recursion; undefined otherwise.
 */
export function cleanSchema(v: unknown): Schema | undefined {
  if (!isObject(v)) return undefined;
  const stack: [unknown, number][] = [[v, 1]];
  for (let visited = 0; stack.length > 0; visited++) {
    const [x, depth] = stack.pop() as [unknown, number];
    if (typeof x === 'bigint' || depth > SCHEMA_DEPTH || visited + stack.length > SCHEMA_NODES)
      return undefined;
    if (typeof x === 'object' && x !== null)
      for (const child of Object.values(x)) stack.push([child, depth + 1]);
  }
  return v;
}

/** True for metadata an endpoint may have: none, or an object of strings. */
const stringsOnly = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  (isObject(v) && Object.values(v).every((x) => typeof x === 'string'));

/** An endpoint, or undefined when it has no name or metadata that is not all strings (its `path` or `method` could not be trusted). */
function cleanEndpoint(v: unknown): Endpoint | undefined {
  if (!isObject(v) || typeof v.name !== 'string' || v.name === '' || !stringsOnly(v.metadata))
    return undefined;
  const e: Endpoint = { name: v.name, metadata: cleanMetadata(v.metadata) };
  const request = cleanSchema(v.request);
  const response = cleanSchema(v.response);
  if (request) e.request = request;
  if (response) e.response = response;
  return e;
}

function cleanNode(v: unknown): Node | undefined {
  if (!isObject(v) || typeof v.id !== 'string' || typeof v.address !== 'string') return undefined;
  return { id: v.id, address: v.address, metadata: cleanMetadata(v.metadata) };
}

const cleanList = <T>(v: unknown, clean: (x: unknown) => T | undefined): T[] =>
  Array.isArray(v) ? v.map(clean).filter((x): x is T => x !== undefined) : [];

/**
 * A service record with only what the gateway reads, in the types it expects: service and node
 * metadata values that are strings (others are left out), endpoints whose metadata is all strings,
 * endpoints and nodes with string names, schemas it can walk. Undefined when it has no name.
 */
export function cleanService(v: unknown): Service | undefined {
  if (!isObject(v) || typeof v.name !== 'string' || v.name === '') return undefined;
  return {
    name: v.name,
    version: typeof v.version === 'string' ? v.version : '',
    metadata: cleanMetadata(v.metadata),
    endpoints: cleanList(v.endpoints, cleanEndpoint),
    nodes: cleanList(v.nodes, cleanNode),
  };
}

/** The records of a list that have a name, each cleaned; none when it is not a list. */
export function cleanServices(list: unknown): Service[] {
  return cleanList(list, cleanService);
}

/** Whether two values of plain JSON data hold the same (objects compared by their keys, in any order). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) if (!Object.hasOwn(y, k) || !sameData(x[k], y[k])) return false;
  return true;
}

/**
 * Whether two cleaned records say the same: a re-read of an unchanged registry then changes
 * nothing derived from it. Cleaned schemas are at most 64 levels deep, which bounds the recursion.
 */
export const sameRecord = (a: Service, b: Service): boolean => sameData(a, b);
