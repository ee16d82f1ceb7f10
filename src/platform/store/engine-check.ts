// TEMPORARY: stands in for validate.ts (plat-store) until it is merged.
import { badRequest } from '../../runtime/errors.ts';
import { STORE_LIMITS, type ListOptions, type Namespace, type Operation } from './store.ts';

const bad = (detail: string) => badRequest('micro.store', detail);
const name = (field: string, v: unknown) => {
  if (v === undefined) return;
  if (typeof v !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(v)) throw bad(`bad ${field}`);
};
const key = (k: unknown, field = 'key') => {
  if (typeof k !== 'string' || k.length === 0 || k.includes('\0') || Buffer.byteLength(k) > 1024)
    throw bad(`bad ${field}`);
};

/** Temporary checks. */
export const check = {
  ns(o: Namespace = {}) {
    name('database', o.database);
    name('table', o.table);
  },
  key,
  value(v: unknown) {
    const t = JSON.stringify(v);
    if (t === undefined || Buffer.byteLength(t) > STORE_LIMITS.valueBytes) throw bad('bad value');
  },
  ttl(t: unknown) {
    if (t === undefined) return;
    if (typeof t !== 'number' || t < STORE_LIMITS.minTtl || t > STORE_LIMITS.maxTtl)
      throw bad('bad ttl');
  },
  list(o: ListOptions = {}) {
    check.ns(o);
    if (o.limit !== undefined && (!Number.isInteger(o.limit) || o.limit < 1 || o.limit > 1000))
      throw bad('bad limit');
  },
  ops(ops: Operation[]) {
    if (!Array.isArray(ops) || ops.length > 1000) throw bad('bad operations');
    for (const op of ops) {
      key(op.key);
      if (op.op === 'put') {
        check.value(op.value);
        check.ttl(op.ttl);
      }
    }
  },
};
