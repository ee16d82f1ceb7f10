import type { Redis } from 'ioredis';

/** One stream entry as read: its id and fields. */
export interface Entry {
  id: string;
  fields: Map<string, Buffer>;
}

/** Parses the entries of an XREADGROUP stream or an XAUTOCLAIM reply; trimmed ones are skipped. */
export function entries(raw: unknown): Entry[] {
  const out: Entry[] = [];
  for (const e of Array.isArray(raw) ? (raw as unknown[]) : []) {
    if (!Array.isArray(e) || !Array.isArray(e[1])) continue;
    const kv = e[1] as Buffer[];
    const fields = new Map<string, Buffer>();
    for (let i = 0; i + 1 < kv.length; i += 2) fields.set(String(kv[i]), kv[i + 1] as Buffer);
    out.push({ id: String(e[0]), fields });
  }
  return out;
}

/** The header field as published, or {} when it is missing or not a JSON object. */
export function headerOf(raw: Buffer | undefined): Record<string, string> {
  const header: Record<string, string> = {};
  try {
    const parsed = JSON.parse(raw?.toString() ?? '{}') as unknown;
    if (parsed && typeof parsed === 'object')
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') header[k] = v;
  } catch {
    // written by someone else: the body may still be of use
  }
  return header;
}

/** `host:port`, `[v6]:port` or a bare host (port 6379) as ioredis takes them. */
export function hostPort(address: string): { host: string; port: number } {
  const m = /^(\[[^\]]*\]|[^:]*|.*)(?::(\d+))?$/.exec(address);
  return { host: (m?.[1] ?? address).replace(/^\[(.*)\]$/, '$1'), port: Number(m?.[2] ?? 6379) };
}

/** A stream's consumer groups (none when the stream does not exist yet). */
export async function groupsOf(c: Redis, key: string): Promise<string[]> {
  let groups: unknown[][];
  try {
    groups = (await c.call('XINFO', 'GROUPS', key)) as unknown[][];
  } catch (err) {
    if (replyIs(err, 'ERR') && /no such key/i.test((err as Error).message)) return [];
    throw err;
  }
  return groups.map((g) => String(g[g.indexOf('name') + 1]));
}

/**
 * Which of the groups have a member present now, each member being subscribed to the channel
 * `<head><group>`: PUBSUB NUMSUB costs what the stream has groups, where PUBSUB CHANNELS would scan
 * every channel on the server.
 */
export async function presentGroups(
  c: Redis,
  head: string,
  groups: string[],
): Promise<Set<string>> {
  const here = new Set<string>();
  if (groups.length === 0) return here;
  const counts = (await c.call('PUBSUB', 'NUMSUB', ...groups.map((n) => head + n))) as unknown[];
  for (let i = 0; i + 1 < counts.length; i += 2)
    if (Number(counts[i + 1]) > 0) here.add(String(counts[i]).slice(head.length));
  return here;
}

/** True when err is Redis's error reply of that kind (the reply's first word: BUSYGROUP, NOGROUP, ERR). */
export function replyIs(err: unknown, kind: string): boolean {
  const text = err instanceof Error ? err.message : '';
  return text === kind || text.startsWith(`${kind} `);
}
