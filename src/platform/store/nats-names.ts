// How the NATS store names things NATS restricts: keys (a KV key is one subject token of
// [-/_=.A-Za-z0-9]) and buckets (names of [-_A-Za-z0-9], their stream's name at most 255).
import { createHash } from 'node:crypto';

const SAFE = /^[A-Za-z0-9_/-]$/;

/**
 * A store key as a NATS KV key: A-Z a-z 0-9 _ / - stay, every other byte of its UTF-8 (`.`, `=`,
 * spaces, unicode...) becomes `=XX`. Reversible, never a `.` (so one subject token), never a
 * wildcard; at most three times as long (3,072 bytes, within a subject line).
 */
export function encodeKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (SAFE.test(ch)) out += ch;
    else
      for (const byte of Buffer.from(ch))
        out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The store key a NATS KV key names, or undefined for a key not of encodeKey's making. */
export function decodeKey(name: string): string | undefined {
  if (!/^(?:[A-Za-z0-9_/-]|=[0-9A-F]{2})+$/.test(name)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '=') {
      bytes.push(parseInt(name.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(name.charCodeAt(i));
  }
  const key = Buffer.from(bytes).toString();
  return encodeKey(key) === name ? key : undefined;
}

/** The longest bucket name: its stream, `KV_<bucket>`, may have 255 characters. */
const BUCKET_MAX = 252;

/**
 * The bucket of a table: `<prefix>_s<database>_s<table>` with `.` as `_d` and `_` as `_u`, or,
 * when that is too long for NATS, `<prefix>_h<hash>`. Either way its description says which
 * database and table it holds (descriptionOf / namespaceOf).
 */
export function bucketOf(prefix: string, database: string, table: string): string {
  const esc = (n: string) => n.replace(/[._]/g, (c) => (c === '.' ? '_d' : '_u'));
  const name = `${prefix}_s${esc(database)}_s${esc(table)}`;
  if (name.length <= BUCKET_MAX) return name;
  return `${prefix}_h${createHash('sha256').update(`${database}/${table}`).digest('hex').slice(0, 48)}`;
}

/** The description a table's bucket carries. */
export function descriptionOf(database: string, table: string): string {
  return `micro store ${database} ${table}`;
}

/** The database and table of a bucket's description, or undefined for another bucket. */
export function namespaceOf(
  description: string | undefined,
): { database: string; table: string } | undefined {
  const m = /^micro store ([A-Za-z0-9._-]+) ([A-Za-z0-9._-]+)$/.exec(description ?? '');
  return m ? { database: m[1]!, table: m[2]! } : undefined;
}
