// What the control plane gives a platform service it hosts, and what it gets back: the types the
// table of hosted services (hosts.ts) and each area's service.ts share, apart from the table, so
// that the areas do not import the table that imports them.
import type { Handler } from '../runtime/server/handler.ts';
import type { Authorize } from './access.ts';
import type { Auth } from './auth/auth.ts';
import type { Logger } from '../runtime/server/server.ts';
import type { Trace } from './trace/trace.ts';

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
  /**
   * Publishes a platform event (topic `micro.*`, see src/platform/events/events.ts) on the control
   * plane's own events; set once the events area is hosted, absent before and when it is not.
   */
  emit?: (topic: string, data: Record<string, unknown>) => void;
  /**
   * Set when the control plane enforces auth: each area checks its own resources with it (store
   * namespaces, config paths, topics...; src/platform/access.ts), absent when auth is off.
   */
  authorize?: Authorize;
}

/** A platform service ready to serve. */
export interface Hosted {
  /** Handlers by name (`Store`, `Config`, `Sync`), served as `Name.Method` endpoints. */
  handlers: Record<string, Handler>;
  /** Closes its storage once the service stopped. */
  close(): Promise<void>;
  /**
   * The events area's in-process publish (it may publish to `micro.*`): given, the control plane
   * makes the context's emit of it (src/platform/events/platform.ts platformEmitter).
   */
  publish?: (topic: string, data: Record<string, unknown>) => Promise<unknown>;
  /** The auth area's in-process Auth: the control plane verifies tokens and makes service accounts with it. */
  auth?: Auth;
  /** The trace area's in-process Trace: the control plane's OTLP/HTTP receiver (POST /v1/traces) writes to it. */
  trace?: Trace;
}

/** A platform service's factory. */
export type HostFactory = (context: HostContext) => Promise<Hosted>;
