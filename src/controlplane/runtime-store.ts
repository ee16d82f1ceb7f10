// The services `micro run -d` handed to the runtime, kept in the control plane's database so that
// they are started again when the control plane restarts.
import { statSync } from 'node:fs';
import { openDatabase } from '../registry/sqlite.ts';

/** A service to run again: its name, its entry file, the MICRO_* variables it was given, and whether it reloads on changes. */
export interface StoredService {
  name: string;
  path: string;
  env: Record<string, string>;
  watch?: boolean;
}

/** Why a kept service cannot be started again (its file is gone, or is not a file); undefined when it can. */
export function unrunnable(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? undefined : `${path} is not a file`;
  } catch {
    return `${path} no longer exists`;
  }
}

/** Where the runtime keeps the services it runs. */
export interface RuntimeStore {
  /** Every service kept, oldest first. */
  list(): StoredService[];
  /** Keeps a service (replacing one of the same name). */
  save(service: StoredService): void;
  /** Forgets a service; nothing happens for a name not kept. */
  forget(name: string): void;
  /** Closes the database. */
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runtime_services (
  name TEXT PRIMARY KEY, path TEXT NOT NULL, env TEXT NOT NULL, created INTEGER NOT NULL);
`;

/** The runtime's table in the SQLite database at `path` (micro.db in the data folder). */
export function createRuntimeStore(path: string, nativeBinding?: unknown): RuntimeStore {
  const db = openDatabase(path, nativeBinding);
  db.exec(SCHEMA);
  // Databases from before reloads have no watch column: it is added, off for what they keep.
  const columns = db.prepare('PRAGMA table_info(runtime_services)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'watch'))
    db.exec('ALTER TABLE runtime_services ADD COLUMN watch INTEGER NOT NULL DEFAULT 0');
  const all = db.prepare(
    'SELECT name, path, env, watch FROM runtime_services ORDER BY created, name',
  );
  const put = db.prepare(
    `INSERT INTO runtime_services (name, path, env, watch, created) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET path = excluded.path, env = excluded.env,
       watch = excluded.watch, created = excluded.created`,
  );
  const remove = db.prepare('DELETE FROM runtime_services WHERE name = ?');
  return {
    list: () =>
      (all.all() as { name: string; path: string; env: string; watch: number }[]).map((r) => ({
        name: r.name,
        path: r.path,
        env: envOf(r.env),
        watch: r.watch === 1,
      })),
    save: (s) => void put.run(s.name, s.path, JSON.stringify(s.env), s.watch ? 1 : 0, Date.now()),
    forget: (name) => void remove.run(name),
    close: () => db.close(),
  };
}

/** The stored variables, or none when the column holds something else. */
function envOf(text: string): Record<string, string> {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(
      Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  } catch {
    return {};
  }
}
