// The config tree: checked paths and namespaces, get/set/delete at a path of a JSON tree, and the
// diff of two trees by path. Every function here is pure: a change returns a new tree sharing the
// untouched branches with the old one, which is never modified.
//
// Limits (CONFIG_LIMITS): a path has at most 64 segments of 1 to 128 of [A-Za-z0-9_-]; `__proto__`
// is reserved. A tree is a JSON object (the root) of at most 1 MiB as JSON, nested at most 64 deep.
// Arrays are values: a path goes through objects only.
import { printable } from '../../registry/printable.ts';
import { badRequest } from '../../runtime/errors.ts';
import { CONFIG_LIMITS, type ConfigDiff } from './config.ts';

/** The id config errors carry: the control plane's config service. */
export const CONFIG_ID = 'config';

/** A JSON object: the shape of a tree and of every branch a path goes through. */
export type Tree = Record<string, unknown>;

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const NAMESPACE = /^[A-Za-z0-9._-]+$/;
const MAX_PATH = CONFIG_LIMITS.pathSegments * (CONFIG_LIMITS.segmentLength + 1);
const MAX_DEPTH = 64;

/** A string quoted for an error message: escaped, cut to 40 characters. */
export const shown = (s: string): string =>
  printable(JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s), false);

/** The segments of a dot path (`''`: none, the whole tree); anything else is a 400 naming `field`. */
export function parsePath(path: unknown, field = 'path'): string[] {
  if (typeof path !== 'string')
    throw badRequest(CONFIG_ID, `${field} must be a string of dot-separated names, as db.pool.max`);
  if (path === '') return [];
  if (path.length > MAX_PATH)
    throw badRequest(
      CONFIG_ID,
      `${field} is ${path.length} characters long, over the limit of ${MAX_PATH}`,
    );
  const segments = path.split('.');
  if (segments.length > CONFIG_LIMITS.pathSegments)
    throw badRequest(
      CONFIG_ID,
      `${field} has ${segments.length} segments, over the limit of ${CONFIG_LIMITS.pathSegments}`,
    );
  segments.forEach((s, i) => {
    const which = `${field} ${shown(path)}: segment ${i + 1}`;
    if (s === '')
      throw badRequest(CONFIG_ID, `${which} is empty (no leading, trailing or double dots)`);
    if (s.length > CONFIG_LIMITS.segmentLength)
      throw badRequest(
        CONFIG_ID,
        `${which} is ${s.length} characters long, over the limit of ${CONFIG_LIMITS.segmentLength}`,
      );
    if (!SEGMENT.test(s))
      throw badRequest(CONFIG_ID, `${which} ${shown(s)} may hold only letters, digits, _ and -`);
    if (s === '__proto__') throw badRequest(CONFIG_ID, `${which} __proto__ is reserved`);
  });
  return segments;
}

/** A checked namespace: 1 to 128 of [A-Za-z0-9._-], as service names are; else a 400 naming `field`. */
export function checkNamespace(namespace: unknown, field = 'namespace'): string {
  if (typeof namespace !== 'string' || namespace === '')
    throw badRequest(CONFIG_ID, `${field} must be a non-empty string, such as a service's name`);
  if (namespace.length > CONFIG_LIMITS.namespaceLength)
    throw badRequest(
      CONFIG_ID,
      `${field} is ${namespace.length} characters long, over the limit of ${CONFIG_LIMITS.namespaceLength}`,
    );
  if (!NAMESPACE.test(namespace))
    throw badRequest(
      CONFIG_ID,
      `${field} ${shown(namespace)} may hold only letters, digits, ., _ and -`,
    );
  return namespace;
}

/** True for a JSON object (not an array, not null). */
export const isTree = (v: unknown): v is Tree =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks that a value is JSON (null, booleans, finite numbers, strings, arrays and plain objects,
 * at most 64 deep); anything else is a 400 naming `field` and where in the value it is.
 */
export function checkJson(value: unknown, field = 'value'): void {
  const walk = (v: unknown, where: string, depth: number): void => {
    if (depth > MAX_DEPTH)
      throw badRequest(CONFIG_ID, `${where} is nested more than ${MAX_DEPTH} deep`);
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw badRequest(CONFIG_ID, `${where} must be a finite number`);
      return;
    }
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${where}[${i}]`, depth + 1));
    if (typeof v === 'object') {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null)
        throw badRequest(CONFIG_ID, `${where} must be plain JSON, not a ${v.constructor.name}`);
      for (const [k, x] of Object.entries(v)) walk(x, `${where}.${shown(k)}`, depth + 1);
      return;
    }
    throw badRequest(CONFIG_ID, `${where} must be a JSON value, not ${typeof v}`);
  };
  if (value === undefined) throw badRequest(CONFIG_ID, `${field} is required: a JSON value`);
  walk(value, field, 0);
}

/** Checks a whole tree's size as JSON against CONFIG_LIMITS.treeBytes. */
export function checkSize(tree: Tree, namespace: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(tree));
  if (bytes > CONFIG_LIMITS.treeBytes)
    throw badRequest(
      CONFIG_ID,
      `value: the tree of namespace ${namespace} would be ${bytes} bytes as JSON, over the limit of ${CONFIG_LIMITS.treeBytes}`,
    );
}

/** The value at a path of a tree; undefined when there is none. Arrays are indexed by number. */
export function getAt(tree: unknown, segments: readonly string[]): unknown {
  let at: unknown = tree;
  for (const s of segments) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, s)) return undefined;
    at = (at as Tree)[s];
  }
  return at;
}

/** A copy of an object with one own member set (a `__proto__` key included, as a plain member). */
function withMember(o: Tree, key: string, value: unknown): Tree {
  const copy = { ...o };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/**
 * The tree with the value at a path set, parents created as objects. A parent that holds another
 * value (a number, an array) is a 400: a set never silently drops a value it was not aimed at.
 */
export function setAt(tree: Tree, segments: readonly string[], value: unknown): Tree {
  if (segments.length === 0) {
    if (!isTree(value))
      throw badRequest(CONFIG_ID, 'value: the whole tree (path "") must be a JSON object');
    return value;
  }
  const [head, ...rest] = segments as [string, ...string[]];
  if (rest.length === 0) return withMember(tree, head, value);
  const child = Object.hasOwn(tree, head) ? tree[head] : undefined;
  if (child !== undefined && !isTree(child))
    throw badRequest(
      CONFIG_ID,
      `path: ${head} holds ${Array.isArray(child) ? 'an array' : `a ${child === null ? 'null' : typeof child}`}, not an object, so nothing can be set under it`,
    );
  return withMember(tree, head, setAt(child ?? {}, rest, value));
}

/** The tree without the value at a path (the whole path `''`: an empty tree); undefined when there was none. */
export function deleteAt(tree: Tree, segments: readonly string[]): Tree | undefined {
  if (segments.length === 0) return {};
  const [head, ...rest] = segments as [string, ...string[]];
  if (!Object.hasOwn(tree, head)) return undefined;
  if (rest.length === 0) {
    const copy = { ...tree };
    delete copy[head];
    return copy;
  }
  const child = tree[head];
  if (!isTree(child)) return undefined;
  const next = deleteAt(child, rest);
  return next === undefined ? undefined : withMember(tree, head, next);
}

/** Whether two JSON values are equal (objects by members, in any order). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Tree)[k], (b as Tree)[k]));
}

/**
 * What differs between two trees, by path, sorted by path: objects are compared member by member;
 * arrays, other values and members whose names are not path segments compare whole, reported at
 * the deepest path that names them.
 */
export function diffTrees(before: unknown, after: unknown, path: string[] = []): ConfigDiff[] {
  if (jsonEqual(before, after)) return [];
  const named = (o: Tree) => Object.keys(o).every((k) => SEGMENT.test(k) && k !== '__proto__');
  if (isTree(before) && isTree(after) && named(before) && named(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) =>
      diffTrees(
        Object.hasOwn(before, k) ? before[k] : undefined,
        Object.hasOwn(after, k) ? after[k] : undefined,
        [...path, k],
      ),
    );
  }
  const d: ConfigDiff = { path: path.join('.') };
  if (before !== undefined) d.before = before;
  if (after !== undefined) d.after = after;
  return [d];
}

/** Whether one path is the other or under it, either way (`db` and `db.pool.max`). */
export function overlaps(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
