// The SQLite Auth: the one engine (engine.ts) over tables in the control plane's micro.db
// (auth_accounts, auth_rules, auth_keys, auth_refresh, auth_revoked, auth_meta), what the control
// plane serves as the `auth` service. better-sqlite3 is synchronous, so each `atomic` step is one
// SQLite transaction. Durability is micro.db's (WAL, synchronous=NORMAL): a committed change
// survives a crash of the process. Secrets are stored as scrypt hashes, refresh tokens as sha256,
// signing keys as private JWKs: the file is as secret as the keys it holds (mode 0600 is the
// control plane's data folder's business).
import type Database from 'better-sqlite3';
import { openDatabase } from '../../registry/sqlite.ts';
import type { Auth, Rule } from './auth.ts';
import { createAuthEngine } from './engine.ts';
import type { AuthOptions } from './options.ts';
import type { AuthStorage, StoredAccount, StoredKey, StoredRefresh } from './storage.ts';

/** Options of the SQLite Auth. */
export interface SqliteAuthOptions extends AuthOptions {
  /** The database file (micro.db in the control plane's data folder); created if missing. */
  path: string;
  /** better-sqlite3's native addon, already loaded: how the single executable passes it in. */
  nativeBinding?: unknown;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS auth_accounts (id TEXT PRIMARY KEY, type TEXT NOT NULL, roles TEXT NOT NULL,
  scopes TEXT NOT NULL, metadata TEXT NOT NULL, created INTEGER NOT NULL, disabled INTEGER NOT NULL,
  hash TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS auth_rules (id TEXT PRIMARY KEY, rule TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS auth_keys (kid TEXT PRIMARY KEY, jwk TEXT NOT NULL, created INTEGER NOT NULL,
  retired INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS auth_refresh (hash TEXT PRIMARY KEY, account TEXT NOT NULL, family TEXT NOT NULL,
  scope TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL, used INTEGER NOT NULL,
  jti TEXT NOT NULL, exp INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS auth_refresh_account ON auth_refresh (account, created);
CREATE INDEX IF NOT EXISTS auth_refresh_family ON auth_refresh (family);
CREATE INDEX IF NOT EXISTS auth_refresh_expires ON auth_refresh (expires);
CREATE TABLE IF NOT EXISTS auth_revoked (kind TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS auth_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO auth_meta (key, value) VALUES ('version', 0);
`;

interface AccountRow {
  id: string;
  type: 'user' | 'service';
  roles: string;
  scopes: string;
  metadata: string;
  created: number;
  disabled: number;
  hash: string;
}
type RefreshRow = Omit<StoredRefresh, 'used'> & { used: number };

const account = (r: AccountRow | undefined): StoredAccount | undefined =>
  r && {
    ...r,
    roles: JSON.parse(r.roles) as string[],
    scopes: JSON.parse(r.scopes) as string[],
    metadata: JSON.parse(r.metadata) as Record<string, string>,
    disabled: r.disabled === 1,
  };
const refresh = (r: RefreshRow | undefined): StoredRefresh | undefined =>
  r && { ...r, used: r.used === 1 };

/** Auth storage in the tables of a SQLite database. */
export function sqliteAuthStorage(db: Database.Database): AuthStorage {
  db.exec(SCHEMA);
  const q = (sql: string) => db.prepare(sql);
  const s = {
    version: q("SELECT value FROM auth_meta WHERE key = 'version'").pluck(),
    bump: q("UPDATE auth_meta SET value = value + 1 WHERE key = 'version'"),
    account: q('SELECT * FROM auth_accounts WHERE id = ?'),
    accounts: q('SELECT * FROM auth_accounts ORDER BY id'),
    accountCount: q('SELECT count(*) FROM auth_accounts').pluck(),
    putAccount:
      q(`INSERT OR REPLACE INTO auth_accounts (id, type, roles, scopes, metadata, created, disabled, hash)
      VALUES (@id, @type, @roles, @scopes, @metadata, @created, @disabled, @hash)`),
    removeAccount: q('DELETE FROM auth_accounts WHERE id = ?'),
    rules: q('SELECT rule FROM auth_rules ORDER BY id').pluck(),
    rule: q('SELECT rule FROM auth_rules WHERE id = ?').pluck(),
    ruleCount: q('SELECT count(*) FROM auth_rules').pluck(),
    putRule: q('INSERT OR REPLACE INTO auth_rules (id, rule) VALUES (?, ?)'),
    removeRule: q('DELETE FROM auth_rules WHERE id = ?'),
    keys: q('SELECT kid, jwk, created, retired FROM auth_keys ORDER BY created, kid'),
    putKey: q('INSERT OR REPLACE INTO auth_keys (kid, jwk, created, retired) VALUES (?, ?, ?, ?)'),
    removeKey: q('DELETE FROM auth_keys WHERE kid = ?'),
    refresh: q('SELECT * FROM auth_refresh WHERE hash = ?'),
    putRefresh:
      q(`INSERT OR REPLACE INTO auth_refresh (hash, account, family, scope, created, expires, used, jti, exp)
      VALUES (@hash, @account, @family, @scope, @created, @expires, @used, @jti, @exp)`),
    markUsed: q('UPDATE auth_refresh SET used = 1 WHERE hash = ?'),
    family: q('SELECT * FROM auth_refresh WHERE family = ?'),
    removeFamily: q('DELETE FROM auth_refresh WHERE family = ?'),
    removeRefreshOf: q('DELETE FROM auth_refresh WHERE account = ?'),
    trimRefresh: q(`DELETE FROM auth_refresh WHERE account = @account AND hash NOT IN
      (SELECT hash FROM auth_refresh WHERE account = @account ORDER BY created DESC LIMIT @keep)`),
    countRefresh: q('SELECT count(*) FROM auth_refresh WHERE account = ?').pluck(),
    pruneRefresh: q('DELETE FROM auth_refresh WHERE expires <= ?'),
    revoked: q("SELECT id AS jti, at AS exp FROM auth_revoked WHERE kind = 'jti' ORDER BY at, id"),
    putRevoked: q('INSERT OR REPLACE INTO auth_revoked (kind, id, at) VALUES (?, ?, ?)'),
    prune: q('DELETE FROM auth_revoked WHERE kind = ? AND at <= ?'),
    before: q("SELECT id, at FROM auth_revoked WHERE kind = 'account'"),
  };
  return {
    atomic: (fn) => db.transaction(fn)(),
    version: () => s.version.get() as number,
    bump: () => void s.bump.run(),
    account: (id) => account(s.account.get(id) as AccountRow | undefined),
    accounts: () => (s.accounts.all() as AccountRow[]).map((r) => account(r)!),
    accountCount: () => s.accountCount.get() as number,
    putAccount: (a) =>
      void s.putAccount.run({
        ...a,
        roles: JSON.stringify(a.roles),
        scopes: JSON.stringify(a.scopes),
        metadata: JSON.stringify(a.metadata),
        disabled: a.disabled ? 1 : 0,
      }),
    removeAccount: (id) => s.removeAccount.run(id).changes > 0,
    rules: () => (s.rules.all() as string[]).map((r) => JSON.parse(r) as Rule),
    rule: (id) => {
      const r = s.rule.get(id) as string | undefined;
      return r === undefined ? undefined : (JSON.parse(r) as Rule);
    },
    ruleCount: () => s.ruleCount.get() as number,
    putRule: (r) => void s.putRule.run(r.id, JSON.stringify(r)),
    removeRule: (id) => s.removeRule.run(id).changes > 0,
    keys: () =>
      (s.keys.all() as { kid: string; jwk: string; created: number; retired: number | null }[]).map(
        (r): StoredKey => ({ ...r, jwk: JSON.parse(r.jwk) as StoredKey['jwk'] }),
      ),
    putKey: (k) => void s.putKey.run(k.kid, JSON.stringify(k.jwk), k.created, k.retired),
    removeKey: (kid) => void s.removeKey.run(kid),
    refresh: (hash) => refresh(s.refresh.get(hash) as RefreshRow | undefined),
    putRefresh: (r) => void s.putRefresh.run({ ...r, used: r.used ? 1 : 0 }),
    markUsed: (hash) => void s.markUsed.run(hash),
    family: (f) => (s.family.all(f) as RefreshRow[]).map((r) => refresh(r)!),
    removeFamily: (f) => void s.removeFamily.run(f),
    removeRefreshOf: (a) => void s.removeRefreshOf.run(a),
    trimRefresh: (a, keep) => {
      if ((s.countRefresh.get(a) as number) > keep) s.trimRefresh.run({ account: a, keep });
    },
    pruneRefresh: (now) => void s.pruneRefresh.run(now),
    revoked: () => s.revoked.all() as { jti: string; exp: number }[],
    putRevoked: (jti, exp) => void s.putRevoked.run('jti', jti, exp),
    pruneRevoked: (now) => s.prune.run('jti', now).changes > 0,
    revokedBefore: () =>
      Object.fromEntries((s.before.all() as { id: string; at: number }[]).map((r) => [r.id, r.at])),
    putRevokedBefore: (a, t) => void s.putRevoked.run('account', a, t),
    pruneRevokedBefore: (t) => s.prune.run('account', t).changes > 0,
    close: () => {
      if (db.open) db.close();
    },
  };
}

/** An Auth in a SQLite file (the control plane's micro.db). */
export function createSqliteAuth(options: SqliteAuthOptions): Auth {
  const { path, nativeBinding, ...rest } = options;
  return createAuthEngine('sqlite', sqliteAuthStorage(openDatabase(path, nativeBinding)), rest);
}
