// The one walk of a value that must be JSON, for every area that keeps JSON (the store's values,
// the db's records, the events' data through the store's check): JSON.stringify would drop
// undefined and functions and turn NaN into null silently, so each member is looked at, and the
// first that is not JSON is named by its path in a 400 of the area's own.

/** What an area tells the walk. */
export interface JsonRules {
  /** Nesting allowed at most. */
  depth: number;
  /** What the area calls the whole, for messages: `value`, `record`. */
  noun: string;
  /** The area's 400 with this detail. */
  invalid(detail: string): Error;
  /** How the area shows a value's kind (`a Date`, `undefined`). */
  kind(v: unknown): string;
  /** How the area shows a name in a path. */
  shown(name: string): string;
  /** A further check of every string and member name (the db refuses NUL, lone surrogates). */
  text?(s: string, field: string): void;
}

/** Throws the area's 400 naming the first member of `v` (at `path`) that is not JSON. */
export function walkJson(v: unknown, path: string, rules: JsonRules, depth = 0): void {
  if (depth > rules.depth)
    throw rules.invalid(`${path} is nested deeper than ${rules.depth} levels`);
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'string') {
    rules.text?.(v, path);
    return;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw rules.invalid(`${path} is ${String(v)}, which JSON cannot hold`);
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) walkJson(v[i], `${path}[${i}]`, rules, depth + 1);
    return;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null)
      throw rules.invalid(
        `${path} is ${rules.kind(v)}; a ${rules.noun} must be JSON (plain objects and arrays)`,
      );
    for (const [k, member] of Object.entries(v)) {
      const at = /^[A-Za-z_$][\w$]{0,40}$/.test(k) ? `${path}.${k}` : `${path}[${rules.shown(k)}]`;
      rules.text?.(k, `${at} (a name)`);
      walkJson(member, at, rules, depth + 1);
    }
    return;
  }
  throw rules.invalid(`${path} is ${rules.kind(v)}, which JSON cannot hold`);
}
