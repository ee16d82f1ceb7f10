// Reads of the NATS store: a key's live entry (a lapsed one is deleted on its revision when read,
// which is when watchers hear of it), and one page of a table in byte order, sorted from the
// table's key names (NATS KV lists keys in no useful order, and cannot filter on a key's prefix).
import type { KV, KvEntry } from 'nats';
import { MicroError } from '../../runtime/errors.ts';
import { entryOf, unwrap } from './engine.ts';
import { decodeKey, encodeKey } from './nats-names.ts';
import type { Entry, Page } from './store.ts';
import { compareKeys, encodeCursor, STORE_ID } from './validate.ts';

/** The most key names a listing reads from one table. */
export const SCAN = 100_000;

/** The entry a KV entry holds, or undefined when it lapsed (then deleted, if still that revision). */
export function liveEntry(kv: KV, key: string, e: KvEntry, keysOnly = false): Entry | undefined {
  if (e.operation !== 'PUT') return undefined;
  const s = unwrap(e.string());
  if (s) return entryOf(key, s, String(e.revision), keysOnly);
  void kv.delete(e.key, { previousSeq: e.revision }).catch(() => {});
  return undefined;
}

/** A key's live entry, and its revision (also when lapsed, for a write to be conditioned on). */
export async function readKey(kv: KV, key: string): Promise<{ entry?: Entry; revision?: number }> {
  const e = await kv.get(encodeKey(key));
  if (!e || e.operation !== 'PUT') return {};
  return { entry: liveEntry(kv, key, e), revision: e.revision };
}

/** One page of the keys under `prefix` after `after`, in byte order; at most SCAN names read. */
export async function listTable(
  kv: KV,
  o: { prefix: string; limit: number; after?: string; keysOnly: boolean },
): Promise<Page> {
  const keys: string[] = [];
  let scanned = 0;
  const names = await kv.keys();
  try {
    for await (const name of names) {
      if (++scanned > SCAN)
        throw new MicroError(STORE_ID, 507, `the NATS store lists tables of at most ${SCAN} keys`);
      const key = decodeKey(name);
      if (key === undefined || !key.startsWith(o.prefix)) continue;
      if (o.after === undefined || compareKeys(key, o.after) > 0) keys.push(key);
    }
  } finally {
    names.stop();
  }
  keys.sort(compareKeys);
  const entries: Entry[] = [];
  // Lapsed entries are skipped: read on in chunks until the page and one more are found.
  for (let i = 0; i < keys.length && entries.length <= o.limit; i += o.limit + 1) {
    const chunk = keys.slice(i, i + o.limit + 1);
    const got = await Promise.all(chunk.map((k) => kv.get(encodeKey(k))));
    chunk.forEach((k, j) => {
      const e = got[j];
      const entry = e ? liveEntry(kv, k, e, o.keysOnly) : undefined;
      if (entry) entries.push(entry);
    });
  }
  if (entries.length <= o.limit) return { entries };
  entries.length = o.limit;
  return { entries, next: encodeCursor(entries.at(-1)!.key) };
}
