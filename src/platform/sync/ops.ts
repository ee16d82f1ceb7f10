// The sync operations every engine implements, in the shape of the control plane's `Sync` RPC
// (Lock, Renew, Unlock, Locks, Campaign, Resign, Leader, Leaders, Candidates), and the checks of
// names and leases every implementation applies, so that bad input is the same 400 everywhere.
// The lease keeping (renewals, losing a lock, callbacks) is built on top, once, in lease.ts.
import { hasControls } from '../../registry/printable.ts';
import { badRequest, conflict, notFound } from '../../runtime/errors.ts';
import type { LeaderInfo, LockInfo } from './sync.ts';

/** The component errors name (`{id: 'sync', ...}`). */
export const SYNC_ID = 'sync';
/** Longest lock or election name, holder or candidate id, in characters. */
export const MAX_NAME = 512;
/** Shortest lease (ms). */
export const MIN_TTL = 1000;
/** Longest lease (ms): one hour. */
export const MAX_TTL = 3_600_000;
/** Longest wait for a lock (ms): five minutes. */
export const MAX_WAIT = 300_000;
/** The lease when none is named (ms). */
export const DEFAULT_TTL = 15_000;

/** Lock {name, holder, ttl, wait}. */
export interface LockRequest {
  name: string;
  holder: string;
  ttl: number;
  wait: number;
}

/** Campaign's answer: the leader now, and whether it is the caller. */
export interface CampaignResult {
  leader: LeaderInfo;
  leading: boolean;
}

/** A candidate as the UI lists it. */
export interface CandidateInfo {
  id: string;
  expiresAt: number;
}

/** The operations behind a Sync: one call each, no renewal of their own. */
export interface SyncOps {
  /** Takes the lock (waiting up to wait ms), or a 409 naming its holder. */
  lock(req: LockRequest): Promise<LockInfo>;
  /** Extends the lease of the lock held with this token; 404 when no longer held by it. */
  renew(req: { name: string; token: number }): Promise<LockInfo>;
  /** Releases the lock if this token still holds it. */
  unlock(req: { name: string; token: number }): Promise<void>;
  locks(req: { prefix?: string }): Promise<LockInfo[]>;
  /** Stands (or renews the candidacy) for ttl ms; idempotent. */
  campaign(req: { name: string; id: string; ttl: number }): Promise<CampaignResult>;
  resign(req: { name: string; id: string }): Promise<void>;
  leader(req: { name: string }): Promise<LeaderInfo | undefined>;
  leaders(): Promise<LeaderInfo[]>;
  candidates(req: { name: string }): Promise<CandidateInfo[]>;
  close(): Promise<void>;
}

/** A name (or holder, id): a non-empty string of at most MAX_NAME characters, no control character. */
export function checkName(value: unknown, what = 'name'): string {
  if (typeof value !== 'string' || value === '')
    throw badRequest(SYNC_ID, `${what} must be a non-empty string`);
  if (value.length > MAX_NAME)
    throw badRequest(SYNC_ID, `${what} is ${value.length} characters long: at most ${MAX_NAME}`);
  if (hasControls(value)) throw badRequest(SYNC_ID, `${what} must not hold control characters`);
  return value;
}

/** A lease in ms: an integer from MIN_TTL to MAX_TTL; DEFAULT_TTL when undefined. */
export function checkTtl(value: unknown, what = 'ttl'): number {
  if (value === undefined) return DEFAULT_TTL;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_TTL || value > MAX_TTL)
    throw badRequest(
      SYNC_ID,
      `${what} must be a whole number of ms from ${MIN_TTL} to ${MAX_TTL}, not ${JSON.stringify(value)}`,
    );
  return value;
}

/** A wait in ms: an integer from 0 to MAX_WAIT; 0 when undefined. */
export function checkWait(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_WAIT)
    throw badRequest(
      SYNC_ID,
      `wait must be a whole number of ms from 0 to ${MAX_WAIT}, not ${JSON.stringify(value)}`,
    );
  return value;
}

/** A fencing token: a positive integer. */
export function checkToken(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw badRequest(
      SYNC_ID,
      `token must be a positive whole number, not ${JSON.stringify(value)}`,
    );
  return value;
}

/** A prefix: a string of at most MAX_NAME characters (empty: everything). */
export function checkPrefix(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw badRequest(SYNC_ID, 'prefix must be a string');
  if (value.length > MAX_NAME)
    throw badRequest(SYNC_ID, `prefix is ${value.length} characters long: at most ${MAX_NAME}`);
  return value;
}

/** The 409 of a lock held by another. */
export const heldBy = (info: LockInfo): Error =>
  conflict(
    SYNC_ID,
    `lock ${info.name} is held by ${info.holder} until ${new Date(info.expiresAt).toISOString()}`,
  );

/** The 404 of a renewal whose token no longer holds the lock. */
export const notHeld = (name: string, token: number): Error =>
  notFound(
    SYNC_ID,
    `lock ${name} is not held with token ${token} (its lease lapsed or it was released)`,
  );

/** True for a 409 (the lock is held by another). */
export const isConflict = (err: unknown): boolean => (err as { code?: unknown }).code === 409;

/**
 * Tries `attempt` until it succeeds or `wait` ms have passed, every `every` ms; rethrows its last
 * 409 when time is up, and any other error at once.
 */
export async function retryHeld<T>(
  attempt: () => Promise<T>,
  wait: number,
  every = 50,
): Promise<T> {
  const until = Date.now() + wait;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      const left = until - Date.now();
      if (!isConflict(err) || left <= 0) throw err;
      await new Promise((r) => setTimeout(r, Math.min(every, left)));
    }
  }
}
