// Config in SQLite: the control plane's default, in micro.db (WAL, synchronous=NORMAL: a version
// survives a crash of the process once its change returns; a power cut may lose the last ones). Tables: config_namespaces (latest version,
// its tree, the schema) and config_versions (one row per version: the record, the change, and the
// whole tree at snapshots; see log.ts). A change is one transaction that checks the latest version
// first, so two writers never both get the same version. Watches are of this process's changes:
// one process (the control plane) writes the database.
import type Database from 'better-sqlite3';
import { openDatabase } from '../../registry/sqlite.ts';
import type { Config, ConfigOptions, ConfigVersion } from './config.ts';
import { Followers, isSnapshot, keptFrom, replay, type Change, type ConfigLog } from './log.ts';
import type { Tree } from './tree.ts';
import { createVersionedConfig } from './versioned.ts';

/** Options of the SQLite config. */
export interface SqliteConfigOptions extends ConfigOptions {
  /** The database file (micro.db); created with its folder if missing. */
  path: string;
  /** better-sqlite3's native addon, already loaded: how the single executable passes it in. */
  nativeBinding?: unknown;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS config_namespaces (
  namespace TEXT PRIMARY KEY, version INTEGER NOT NULL, tree TEXT NOT NULL, schema TEXT);
CREATE TABLE IF NOT EXISTS config_versions (
  namespace TEXT NOT NULL, version INTEGER NOT NULL, path TEXT NOT NULL, action TEXT NOT NULL,
  from_version INTEGER, author TEXT NOT NULL, at INTEGER NOT NULL,
  value TEXT, snapshot TEXT,
  PRIMARY KEY (namespace, version));
`;

interface VersionRow {
  version: number;
  path: string;
  action: ConfigVersion['action'];
  from_version: number | null;
  author: string;
  at: number;
}

const recordOf = (r: VersionRow): ConfigVersion => ({
  version: r.version,
  path: r.path,
  action: r.action,
  ...(r.from_version === null ? {} : { from: r.from_version }),
  author: r.author,
  at: r.at,
});

/** A config stored in SQLite at `options.path`. */
export function createSqliteConfig(options: SqliteConfigOptions): Config {
  const db = openDatabase(options.path, options.nativeBinding);
  return createVersionedConfig(
    sqliteLog(db, options.path, () => db.close()),
    options,
  );
}

/** The config log over an open database (its tables created if missing); `onClose` runs at close. */
export function sqliteLog(
  db: Database.Database,
  address: string,
  onClose = (): void => {},
): ConfigLog {
  db.exec(SCHEMA);
  const followers = new Followers();
  // The latest tree parsed once per version: reads outnumber changes by far.
  const heads = new Map<string, { version: number; tree: Tree }>();
  const q = {
    head: db.prepare<[string], { version: number; tree: string }>(
      'SELECT version, tree FROM config_namespaces WHERE namespace = ?',
    ),
    version: db.prepare<[string], { version: number }>(
      'SELECT version FROM config_namespaces WHERE namespace = ?',
    ),
    upsert: db.prepare(
      `INSERT INTO config_namespaces (namespace, version, tree) VALUES (?, ?, ?)
       ON CONFLICT (namespace) DO UPDATE SET version = excluded.version, tree = excluded.tree`,
    ),
    insert: db.prepare(
      `INSERT INTO config_versions (namespace, version, path, action, from_version, author, at, value, snapshot)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    prune: db.prepare('DELETE FROM config_versions WHERE namespace = ? AND version < ?'),
    snapshot: db.prepare<[string, number], { version: number; snapshot: string }>(
      `SELECT version, snapshot FROM config_versions
       WHERE namespace = ? AND version <= ? AND snapshot IS NOT NULL ORDER BY version DESC LIMIT 1`,
    ),
    changes: db.prepare<[string, number, number], { path: string; value: string | null }>(
      `SELECT path, value FROM config_versions
       WHERE namespace = ? AND version > ? AND version <= ? ORDER BY version`,
    ),
    history: db.prepare<[string, number, number], VersionRow>(
      `SELECT version, path, action, from_version, author, at FROM config_versions
       WHERE namespace = ? AND version < ? ORDER BY version DESC LIMIT ?`,
    ),
    schema: db.prepare<[string], { schema: string | null }>(
      'SELECT schema FROM config_namespaces WHERE namespace = ?',
    ),
    setSchema: db.prepare(
      `INSERT INTO config_namespaces (namespace, version, tree, schema) VALUES (?, 0, '{}', ?)
       ON CONFLICT (namespace) DO UPDATE SET schema = excluded.schema`,
    ),
    namespaces: db.prepare<[], { namespace: string }>(
      'SELECT namespace FROM config_namespaces WHERE version > 0 ORDER BY namespace',
    ),
  };
  const append = db.transaction(
    (namespace: string, expected: number, record: ConfigVersion, change: Change, tree: string) => {
      if ((q.version.get(namespace)?.version ?? 0) !== expected) return false;
      q.upsert.run(namespace, record.version, tree);
      const snapshot = isSnapshot({ record, change }) ? tree : null;
      q.insert.run(
        namespace,
        record.version,
        record.path,
        record.action,
        record.from ?? null,
        record.author,
        record.at,
        change.value === undefined ? null : JSON.stringify(change.value),
        snapshot,
      );
      q.prune.run(namespace, keptFrom(record.version));
      return true;
    },
  );
  return {
    name: 'sqlite',
    address,
    async head(namespace) {
      const version = q.version.get(namespace)?.version ?? 0;
      const cached = heads.get(namespace);
      if (cached?.version === version) return cached;
      const row = q.head.get(namespace);
      const head = { version: row?.version ?? 0, tree: row ? (JSON.parse(row.tree) as Tree) : {} };
      heads.set(namespace, head);
      return head;
    },
    async append(namespace, expected, entry, tree) {
      if (!append(namespace, expected, entry.record, entry.change, JSON.stringify(tree)))
        return false;
      heads.set(namespace, { version: entry.record.version, tree });
      followers.emit(namespace, entry);
      return true;
    },
    async at(namespace, version) {
      const base = q.snapshot.get(namespace, version);
      if (!base) return undefined;
      const changes = q.changes
        .all(namespace, base.version, version)
        .map((r): Change =>
          r.value === null ? { path: r.path } : { path: r.path, value: JSON.parse(r.value) },
        );
      return replay(JSON.parse(base.snapshot) as Tree, changes);
    },
    async history(namespace, limit, before) {
      return q.history.all(namespace, before ?? Number.MAX_SAFE_INTEGER, limit).map(recordOf);
    },
    async schema(namespace) {
      const text = q.schema.get(namespace)?.schema;
      return text ? (JSON.parse(text) as object) : undefined;
    },
    async setSchema(namespace, schema) {
      q.setSchema.run(namespace, schema === undefined ? null : JSON.stringify(schema));
    },
    async namespaces() {
      return q.namespaces.all().map((r) => r.namespace);
    },
    async follow(namespace, onEntry) {
      return followers.add(namespace, onEntry);
    },
    async close() {
      followers.clear();
      onClose();
    },
  };
}
