// Locks and elections inside one process: for tests and single-process programs. Syncs made with
// the same `table` share its locks and elections (two "processes" in one); each new table starts
// empty, its tokens from 1. Nothing is persisted; nothing is shared with another process.
import { syncOver } from './lease.ts';
import type { SyncOps } from './ops.ts';
import type { Sync, SyncOptions } from './sync.ts';
import {
  tableOps,
  type StoredCandidate,
  type StoredLeader,
  type StoredLock,
  type TableState,
} from './table.ts';

/** Options of the memory sync. */
export interface MemorySyncOptions extends SyncOptions {
  /** Shared locks and elections (memoryTable()); a new table of its own when left out. */
  table?: SyncOps;
}

/** A memory table: the operations several memory syncs can share. */
export function memoryTable(): SyncOps {
  return tableOps(memoryState());
}

/** A sync whose locks and elections live in this process. */
export function createMemorySync(options: MemorySyncOptions = {}): Sync {
  const own = options.table === undefined;
  const table = options.table ?? memoryTable();
  // A shared table outlives each sync made on it.
  const ops: SyncOps = own ? table : { ...table, close: async () => undefined };
  return syncOver(ops, { name: 'memory', address: 'memory', id: options.id });
}

function memoryState(): TableState {
  const locks = new Map<string, StoredLock>();
  const counters = new Map<string, number>();
  const leaders = new Map<string, StoredLeader>();
  const candidates = new Map<string, Map<string, StoredCandidate>>();
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
  return {
    transaction: (fn) => fn(),
    getLock: (name) => locks.get(name),
    putLock: (info) => void locks.set(info.name, info),
    deleteLock: (name) => void locks.delete(name),
    listLocks: (prefix) =>
      [...locks.values()].filter((l) => l.name.startsWith(prefix)).sort(byName),
    next(counter) {
      const n = (counters.get(counter) ?? 0) + 1;
      counters.set(counter, n);
      return n;
    },
    getLeader: (name) => leaders.get(name),
    putLeader: (leader) => void leaders.set(leader.name, leader),
    deleteLeader: (name) => void leaders.delete(name),
    listLeaders: () => [...leaders.values()].sort(byName),
    candidates: (name) =>
      [...(candidates.get(name)?.values() ?? [])].sort((a, b) => a.joined - b.joined),
    putCandidate(name, c) {
      let m = candidates.get(name);
      if (!m) candidates.set(name, (m = new Map<string, StoredCandidate>()));
      m.set(c.id, c);
    },
    deleteCandidate(name, id) {
      const m = candidates.get(name);
      m?.delete(id);
      if (m?.size === 0) candidates.delete(name);
    },
    sweep(now) {
      for (const [n, l] of locks) if (l.expiresAt <= now) locks.delete(n);
      for (const [n, m] of candidates) {
        for (const [id, c] of m) if (c.expiresAt <= now) m.delete(id);
        if (m.size === 0) candidates.delete(n);
      }
    },
    close: () => undefined,
  };
}
