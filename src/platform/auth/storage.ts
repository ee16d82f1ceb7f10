// What an Auth keeps, and the small synchronous storage interface the one engine (engine.ts) works
// over: memory.ts keeps it in Maps, sqlite.ts in tables of the control plane's micro.db. Every
// method is synchronous, so `atomic` makes a group of them one step (one SQLite transaction) and a
// check-then-write (a refresh token's single use) cannot interleave with another.
import type { JWK } from 'jose';
import type { AccountType, Rule } from './auth.ts';

/** An account as stored: with its secret's scrypt hash. */
export interface StoredAccount {
  id: string;
  type: AccountType;
  roles: string[];
  scopes: string[];
  metadata: Record<string, string>;
  /** ms since the epoch. */
  created: number;
  disabled: boolean;
  /** `scrypt$...` (hash.ts). */
  hash: string;
}

/** A signing key: its private JWK, when it was made and when it stopped signing (ms). */
export interface StoredKey {
  kid: string;
  /** The private Ed25519 JWK (`d` set). */
  jwk: JWK;
  created: number;
  /** When a newer key took over; null while it signs. */
  retired: number | null;
}

/** A refresh token as stored: its sha256 only, and the access token issued with it. */
export interface StoredRefresh {
  /** sha256 hex of the token. */
  hash: string;
  account: string;
  /** Every token rotated from one grant shares it: reuse revokes them all. */
  family: string;
  /** Space-separated scopes it may give. */
  scope: string;
  /** ms since the epoch. */
  created: number;
  expires: number;
  /** Used once already: using it again is a reuse. */
  used: boolean;
  /** The access token issued beside it, revoked with its family. */
  jti: string;
  /** That access token's exp (s). */
  exp: number;
}

/** Storage of one Auth; every method synchronous. */
export interface AuthStorage {
  /** Runs fn as one step: all of its writes or none. */
  atomic<T>(fn: () => T): T;
  /** The snapshot version: grows on every change verifiers see. */
  version(): number;
  /** Adds one to the version (inside the change's `atomic`). */
  bump(): void;
  account(id: string): StoredAccount | undefined;
  /** By id. */
  accounts(): StoredAccount[];
  accountCount(): number;
  putAccount(account: StoredAccount): void;
  removeAccount(id: string): boolean;
  /** By id. */
  rules(): Rule[];
  rule(id: string): Rule | undefined;
  ruleCount(): number;
  putRule(rule: Rule): void;
  removeRule(id: string): boolean;
  /** Oldest first. */
  keys(): StoredKey[];
  putKey(key: StoredKey): void;
  removeKey(kid: string): void;
  refresh(hash: string): StoredRefresh | undefined;
  putRefresh(token: StoredRefresh): void;
  markUsed(hash: string): void;
  family(family: string): StoredRefresh[];
  removeFamily(family: string): void;
  removeRefreshOf(account: string): void;
  /** Keeps the newest `keep` refresh tokens of the account. */
  trimRefresh(account: string, keep: number): void;
  /** Drops refresh tokens expired at `now` (ms). */
  pruneRefresh(now: number): void;
  /** Revoked access tokens: jti until exp (s). */
  revoked(): { jti: string; exp: number }[];
  putRevoked(jti: string, exp: number): void;
  /** Drops those whose exp (s) passed; true when any went. */
  pruneRevoked(now: number): boolean;
  /** Accounts whose tokens issued before a time (s) are refused. */
  revokedBefore(): Record<string, number>;
  putRevokedBefore(account: string, before: number): void;
  /** Drops entries older than `before` (s): every token they refuse has expired; true when any went. */
  pruneRevokedBefore(before: number): boolean;
  close(): void;
}
