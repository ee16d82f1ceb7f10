import type { Db } from '../../platform/db/db.ts';
import type { Events } from '../../platform/events/events.ts';
import type { Trace } from '../../platform/trace/trace.ts';
import type { Logs } from '../../platform/logs/logs.ts';
import type { Metrics } from '../../platform/metrics/metrics.ts';
import type { Routes } from '../../platform/routing/routing.ts';
import type { McpTool } from '../../proxy/mcp/mcp.ts';
import type { Service } from '../../registry/registry.ts';
import type { Client, Logger, Registry, Selector } from '../../runtime/index.ts';
import type { WebAuth } from './session.ts';

/** First path segment of the dashboard's own routes; every other one names a web app. */
export const RESERVED = '_';

/** Error id of the dashboard's answers. */
export const WEB_ID = 'micro.web';

/** What one terminal command printed, and its exit code (0 for success). */
export interface TerminalResult {
  output: string;
  code: number;
}

/** Runs one command line typed in the browser terminal; only an allow-list of commands. */
export type Terminal = (line: string) => Promise<TerminalResult>;

/** What the MCP page shows: the tools agents see (tools.ts buildTools with `micro mcp`'s options). */
export interface WebMcp {
  /** The exposed tools of the registry's services, as agents see them. */
  tools(services: readonly Service[]): readonly McpTool[];
  /** The URL agents connect to over HTTP (the gateway's /mcp), when known. */
  url?: string;
}

/** Options of the dashboard. */
export interface WebOptions {
  /** Where to listen; 127.0.0.1:8082 by default. */
  address?: string;
  registry: Registry;
  /** Calls from the call form and health checks go through it. */
  client: Client;
  /** Picks web apps' nodes; default a caching selector over the registry. */
  selector?: Selector;
  /** Serves the browser terminal; without it the terminal answers 501. */
  terminal?: Terminal;
  /** The events area of the platform page; without it its routes answer 501. It is not closed here. */
  events?: Events;
  /** The db area of the collection browser; without it its routes answer 501. It is not closed here. */
  db?: Db;
  /** The traces of the Traces and Service map pages; without it their routes answer 501. It is not closed here. */
  trace?: Trace;
  /** The logs the Logs page reads and follows; without them its routes answer 501. It is not closed here. */
  logs?: Logs;
  /** The metrics area of the Metrics page; without it its route answers 501. It is not closed here. */
  metrics?: Metrics;
  /** The traffic rules of the Routes page; without them its route answers 501. They are not closed here. */
  routes?: Routes;
  /** The tools of the MCP page; without them its routes answer 501. */
  mcp?: WebMcp;
  /** Milliseconds a call from the form may take (default 10 s) and a health check (default 2 s). */
  callTimeout?: number;
  healthTimeout?: number;
  logger?: Logger;
  /**
   * Auth on (`micro run --auth`, MICRO_AUTH=on): a login page and session cookie, every /_/api
   * route, event stream and web app behind a valid session, and the calls made as the user. The
   * events and db areas given should call through userClient(client) to be made as the user too.
   */
  auth?: WebAuth;
}

/** A running dashboard. */
export interface Web {
  readonly address: string;
  close(): Promise<void>;
}
