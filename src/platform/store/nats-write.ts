// One write of the NATS store: a put or delete whose condition is checked on the key as read and
// enforced by writing on that revision (kv.create / kv.update / delete with previousSeq), read
// again when someone wrote in between.
import type { KV } from 'nats';
import { entryOf, wrap } from './engine.ts';
import { encodeKey } from './nats-names.ts';
import { failed } from './plan.ts';
import type { Entry } from './store.ts';
import { conflictOn, invalid, type CheckedOperation } from './validate.ts';

/** A table's bucket as a write needs it. */
export interface Table {
  kv: KV;
  /** The server's max_payload: the most bytes a stored value (with its ttl) may have. */
  maxPayload: number;
  /** The key's live entry, and its revision (also when lapsed). */
  read(key: string): Promise<{ entry?: Entry; revision?: number }>;
}

/** Applies one operation (to no table: a delete of nothing); the put's entry, or the deleted one. */
export async function writeOne(
  t: Table | undefined,
  op: CheckedOperation,
): Promise<Entry | undefined> {
  const name = encodeKey(op.key);
  const conditional = op.ifVersion !== undefined || (op.op === 'put' && op.ifAbsent);
  for (let attempt = 0; attempt < 20; attempt++) {
    if (op.op === 'put' && !t) throw new Error('no bucket to put in'); // bucket(make) gives one
    if (op.op === 'put' && !conditional) return put(t!, op, (text) => t!.kv.put(name, text));
    const now = t ? await t.read(op.key) : {};
    const refused = failed(op, now.entry);
    if (refused) throw refused;
    try {
      if (op.op === 'delete') {
        if (!t || !now.entry) return undefined;
        await t.kv.delete(name, { previousSeq: now.revision });
        return now.entry;
      }
      const kv = t!.kv;
      const rev = now.revision;
      return await put(t!, op, (text) =>
        rev === undefined ? kv.create(name, text) : kv.update(name, text, rev),
      );
    } catch (err) {
      // Someone wrote in between: read again, and check the condition on what they wrote.
      if (!/wrong last sequence|key exists/i.test((err as Error).message)) throw err;
    }
  }
  throw conflictOn(op.key, 'kept changing while being written (20 tries)');
}

/** Writes a put's value (with its lease) by `write`, within the server's max_payload. */
async function put(
  t: Table,
  op: CheckedOperation & { op: 'put' },
  write: (text: string) => Promise<number>,
): Promise<Entry> {
  const expiresAt = op.ttl === undefined ? undefined : Date.now() + op.ttl;
  const text = wrap(op.json, expiresAt);
  const bytes = Buffer.byteLength(text);
  if (bytes > t.maxPayload)
    throw invalid(
      `value is ${bytes} bytes as stored (with its lease); the NATS server takes at most ${t.maxPayload} (its max_payload: raise it in its configuration)`,
    );
  const revision = await write(text);
  return entryOf(op.key, { v: JSON.parse(op.json) as unknown, e: expiresAt }, String(revision));
}
