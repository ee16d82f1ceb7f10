// The in-memory Auth: the one engine (engine.ts) over Maps, for tests and single-process programs.
// Everything is lost when the process ends (keys too: its tokens then verify nowhere). `atomic`
// needs nothing here: the storage's methods are synchronous, so nothing interleaves with a step.
import type { Rule } from './auth.ts';
import type { Auth } from './auth.ts';
import { createAuthEngine } from './engine.ts';
import type { AuthOptions } from './options.ts';
import type { AuthStorage, StoredAccount, StoredKey, StoredRefresh } from './storage.ts';

const byId = <T extends { id: string }>(a: T, b: T): number =>
  a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Auth storage in Maps. */
export function memoryAuthStorage(): AuthStorage {
  let version = 0;
  const accounts = new Map<string, StoredAccount>();
  const rules = new Map<string, Rule>();
  const keys = new Map<string, StoredKey>();
  const refresh = new Map<string, StoredRefresh>();
  const revoked = new Map<string, number>();
  const before = new Map<string, number>();
  const copy = <T>(v: T): T => structuredClone(v);
  const dropWhere = (test: (r: StoredRefresh) => boolean): void => {
    for (const [h, r] of refresh) if (test(r)) refresh.delete(h);
  };
  const prune = (map: Map<string, number>, below: number): boolean => {
    let any = false;
    for (const [k, v] of map)
      if (v <= below) {
        map.delete(k);
        any = true;
      }
    return any;
  };
  return {
    atomic: (fn) => fn(),
    version: () => version,
    bump: () => void version++,
    account: (id) => copy(accounts.get(id)),
    accounts: () => [...accounts.values()].sort(byId).map(copy),
    accountCount: () => accounts.size,
    putAccount: (a) => void accounts.set(a.id, copy(a)),
    removeAccount: (id) => accounts.delete(id),
    rules: () => [...rules.values()].sort(byId).map(copy),
    rule: (id) => copy(rules.get(id)),
    ruleCount: () => rules.size,
    putRule: (r) => void rules.set(r.id, copy(r)),
    removeRule: (id) => rules.delete(id),
    keys: () => [...keys.values()].sort((a, b) => a.created - b.created).map(copy),
    putKey: (k) => void keys.set(k.kid, copy(k)),
    removeKey: (kid) => void keys.delete(kid),
    refresh: (hash) => copy(refresh.get(hash)),
    putRefresh: (r) => void refresh.set(r.hash, { ...r }),
    markUsed: (hash) => {
      const r = refresh.get(hash);
      if (r) r.used = true;
    },
    family: (family) => [...refresh.values()].filter((r) => r.family === family).map(copy),
    removeFamily: (family) => dropWhere((r) => r.family === family),
    removeRefreshOf: (account) => dropWhere((r) => r.account === account),
    trimRefresh: (account, keep) => {
      const mine = [...refresh.values()].filter((r) => r.account === account);
      if (mine.length <= keep) return;
      mine.sort((a, b) => a.created - b.created);
      for (const r of mine.slice(0, mine.length - keep)) refresh.delete(r.hash);
    },
    pruneRefresh: (now) => dropWhere((r) => r.expires <= now),
    revoked: () => [...revoked].map(([jti, exp]) => ({ jti, exp })),
    putRevoked: (jti, exp) => void revoked.set(jti, exp),
    pruneRevoked: (now) => prune(revoked, now),
    revokedBefore: () => Object.fromEntries(before),
    putRevokedBefore: (account, t) => void before.set(account, t),
    pruneRevokedBefore: (t) => prune(before, t),
    close: () => undefined,
  };
}

/** An Auth in this process's memory. */
export function createMemoryAuth(options: AuthOptions = {}): Auth {
  return createAuthEngine('memory', memoryAuthStorage(), options);
}
