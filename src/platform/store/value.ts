// Values as a store keeps them: JSON checked by walking it (JSON.stringify would drop undefined and
// functions and turn NaN into null silently), then measured as the JSON text stored.
import { STORE_LIMITS } from './store.ts';
import { invalid, kind, shown } from './errors.ts';

/** The value as the JSON text to store; a 400 naming the member that is not JSON, or the size. */
export function checkValue(value: unknown, field = 'value'): string {
  walk(value, field, 0);
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text);
  if (bytes > STORE_LIMITS.valueBytes)
    throw invalid(`${field} is ${bytes} bytes as JSON; the limit is ${STORE_LIMITS.valueBytes}`);
  return text;
}

function walk(v: unknown, path: string, depth: number): void {
  if (depth > STORE_LIMITS.depth)
    throw invalid(`${path} is nested deeper than ${STORE_LIMITS.depth} levels`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalid(`${path} is ${String(v)}, which JSON cannot hold`);
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) walk(v[i], `${path}[${i}]`, depth + 1);
    return;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null)
      throw invalid(`${path} is ${kind(v)}; a value must be JSON (plain objects and arrays)`);
    for (const [k, member] of Object.entries(v))
      walk(
        member,
        /^[A-Za-z_$][\w$]{0,40}$/.test(k) ? `${path}.${k}` : `${path}[${shown(k)}]`,
        depth + 1,
      );
    return;
  }
  throw invalid(`${path} is ${kind(v)}, which JSON cannot hold`);
}
