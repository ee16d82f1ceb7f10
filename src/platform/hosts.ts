// The platform services the control plane hosts, from one table: adding an area is one entry.
// Each entry opens its area's storage in the control plane's data folder (SQLite, micro.db) and
// returns the handlers the control plane serves as an ordinary micro service of that name, so
// `micro call store Store.Get '{"key":"a"}'` works as for any other service.
import type { Handler } from '../runtime/server/handler.ts';
import type { Logger } from '../runtime/server/server.ts';

/** What the control plane gives a platform service it hosts. */
export interface HostContext {
  /** The control plane's data folder. */
  dataDir: string;
  /** The SQLite database every area keeps its tables in (micro.db in dataDir). */
  dbPath: string;
  /** better-sqlite3's addon, when the single executable loaded it. */
  nativeBinding?: unknown;
  /** The control plane's environment (MICRO_STORE etc. choose another engine to serve). */
  env: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** A platform service ready to serve. */
export interface Hosted {
  /** Handlers by name (`Store`, `Config`, `Sync`), served as `Name.Method` endpoints. */
  handlers: Record<string, Handler>;
  /** Closes its storage once the service stopped. */
  close(): Promise<void>;
}

/** A platform service's factory. */
export type HostFactory = (context: HostContext) => Promise<Hosted>;

/** Every platform service the control plane hosts, by the service name it registers. */
export const platformHosts: Readonly<Record<string, HostFactory>> = {
  store: async (c) => (await import('./store/service.ts')).hostStore(c),
  config: async (c) => (await import('./config/service.ts')).hostConfig(c),
  sync: async (c) => (await import('./sync/service.ts')).hostSync(c),
};
