// Locks and elections kept in one process's tables (memory.ts's maps, sqlite.ts's SQLite): the
// SyncOps of the memory sync and of the control plane's service. Every operation runs in one
// synchronous transaction, so two callers never both get a lock. Leases are expiry times read
// from this process's clock; a lapsed lock or leader is treated as absent on the next access.
// Fencing tokens and leadership terms come from counters per name that are never reset (the
// SQLite ones persist, so they keep growing across a restart). A leader that resigns or lapses
// hands over to the longest-standing live candidate, which learns it at its next campaign.
import {
  heldBy,
  notHeld,
  retryHeld,
  type CandidateInfo,
  type CampaignResult,
  type LockRequest,
  type SyncOps,
} from './ops.ts';
import type { LeaderInfo, LockInfo } from './sync.ts';

/** A candidate as the table keeps it. */
export interface StoredCandidate extends CandidateInfo {
  /** When it first stood (ms): the longest-standing leads next. */
  joined: number;
}

/** A lock as the table keeps it: with the lease it was taken for. */
export type StoredLock = LockInfo & { ttl: number };

const shown = ({ name, holder, token, expiresAt }: StoredLock): LockInfo => ({
  name,
  holder,
  token,
  expiresAt,
});

/** A leader as the table keeps it (expiresAt always set). */
export type StoredLeader = LeaderInfo & { expiresAt: number };

/** Where a table keeps its rows: synchronous, with transactions. */
export interface TableState {
  transaction<T>(fn: () => T): T;
  getLock(name: string): StoredLock | undefined;
  putLock(info: StoredLock): void;
  deleteLock(name: string): void;
  /** Locks whose names start with prefix, by name. */
  listLocks(prefix: string): StoredLock[];
  /** Adds one to the named counter and returns it (1 the first time). */
  next(counter: string): number;
  getLeader(name: string): StoredLeader | undefined;
  putLeader(leader: StoredLeader): void;
  deleteLeader(name: string): void;
  listLeaders(): StoredLeader[];
  /** An election's candidates, longest-standing first. */
  candidates(name: string): StoredCandidate[];
  putCandidate(name: string, candidate: StoredCandidate): void;
  deleteCandidate(name: string, id: string): void;
  /** Drops rows whose leases lapsed before `now`. */
  sweep(now: number): void;
  close(): void;
}

/** SyncOps over a TableState; `wait` is served by retrying every 50 ms. */
export function tableOps(state: TableState): SyncOps {
  const live = (name: string, now: number): StoredLock | undefined => {
    const l = state.getLock(name);
    if (l && l.expiresAt <= now) {
      state.deleteLock(name);
      return undefined;
    }
    return l;
  };
  /** The leader now, handing over from a lapsed one to the longest-standing live candidate. */
  const leaderOf = (name: string, now: number): StoredLeader | undefined => {
    const current = state.getLeader(name);
    if (current && current.expiresAt > now) return current;
    const next = state.candidates(name).find((c) => c.expiresAt > now);
    if (!next) {
      if (current) state.deleteLeader(name);
      return undefined;
    }
    const leader = {
      name,
      id: next.id,
      term: state.next(`term/${name}`),
      since: now,
      expiresAt: next.expiresAt,
    };
    state.putLeader(leader);
    return leader;
  };
  const tryLock = (req: LockRequest): LockInfo =>
    state.transaction(() => {
      const now = Date.now();
      const held = live(req.name, now);
      if (held) throw heldBy(held);
      const info = {
        name: req.name,
        holder: req.holder,
        token: state.next(`lock/${req.name}`),
        expiresAt: now + req.ttl,
        ttl: req.ttl,
      };
      state.putLock(info);
      return shown(info);
    });
  // Keeps lapsed rows from piling up; reads treat them as absent anyway.
  const sweeper = setInterval(() => state.transaction(() => state.sweep(Date.now())), 30_000);
  sweeper.unref();

  return {
    lock: async (req) => retryHeld(async () => tryLock(req), req.wait),
    renew: async ({ name, token }) =>
      state.transaction(() => {
        const now = Date.now();
        const held = live(name, now);
        if (!held || held.token !== token) throw notHeld(name, token);
        // The lease granted at acquisition, measured from this renewal.
        const renewed = { ...held, expiresAt: now + held.ttl };
        state.putLock(renewed);
        return shown(renewed);
      }),
    unlock: async ({ name, token }) =>
      state.transaction(() => {
        if (state.getLock(name)?.token === token) state.deleteLock(name);
      }),
    locks: async ({ prefix = '' }) => {
      const now = Date.now();
      return state
        .listLocks(prefix)
        .filter((l) => l.expiresAt > now)
        .map(shown);
    },
    campaign: async ({ name, id, ttl }): Promise<CampaignResult> =>
      state.transaction(() => {
        const now = Date.now();
        const mine = state.candidates(name).find((c) => c.id === id);
        state.putCandidate(name, { id, joined: mine?.joined ?? now, expiresAt: now + ttl });
        let leader = leaderOf(name, now);
        if (leader?.id === id && leader.expiresAt !== now + ttl) {
          leader = { ...leader, expiresAt: now + ttl };
          state.putLeader(leader);
        }
        // leaderOf found this candidate at least: it was just stored live.
        const found = leader as StoredLeader;
        return { leader: { ...found }, leading: found.id === id };
      }),
    resign: async ({ name, id }) =>
      state.transaction(() => {
        state.deleteCandidate(name, id);
        if (state.getLeader(name)?.id === id) {
          state.deleteLeader(name);
          leaderOf(name, Date.now());
        }
      }),
    leader: async ({ name }) => state.transaction(() => leaderOf(name, Date.now())),
    leaders: async () =>
      state.transaction(() => {
        const now = Date.now();
        const names = new Set(state.listLeaders().map((l) => l.name));
        return [...names].flatMap((n) => leaderOf(n, now) ?? []);
      }),
    candidates: async ({ name }) => {
      const now = Date.now();
      return state
        .candidates(name)
        .filter((c) => c.expiresAt > now)
        .map(({ id, expiresAt }) => ({ id, expiresAt }));
    },
    close: async () => {
      clearInterval(sweeper);
      state.close();
    },
  };
}
