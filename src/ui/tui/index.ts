// Starts the terminal explorer. Ink loads here, after Yoga is ready: in the single executable Yoga
// loads asynchronously (scripts/build-sea.mjs), so nothing may import ink before this runs.
import type { Routes } from '../../platform/routing/routing.ts';
import type { Db } from '../../platform/db/db.ts';
import type { Events } from '../../platform/events/events.ts';
import type { Trace } from '../../platform/trace/trace.ts';
import type { Client, Registry } from '../../runtime/index.ts';
import type { LiveRegistry } from './live-registry.ts';
import type { ExplorerMcp } from './McpView.ts';

/** What the explorer needs: a registry to browse, a client to call with, the terminal's streams. */
export interface ExplorerOptions {
  registry: Registry;
  client: Client;
  /** Open this service first. */
  service?: string;
  /** The services and topics followed already, started early so the list can show sooner. */
  live?: LiveRegistry;
  /** The events area the events screen follows. */
  events?: Events;
  /** The db area the db screen browses. */
  db?: Db;
  /** The traces the call screen reads the last call's from. */
  trace?: Trace;
  /** The traffic rules the routes screen lists. */
  routes?: Routes;
  /** The tools agents see, which the MCP screen lists. */
  mcp?: ExplorerMcp;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/** Draws the explorer in the terminal (alternate screen) and resolves when the user quits. */
export type Explore = (options: ExplorerOptions) => Promise<void>;

/**
 * Loads Yoga (compiling its WebAssembly), ink, React and the App; resolves with the function that
 * draws. Start it early: it can overlap with connecting to the registry.
 */
export async function loadExplorer(): Promise<Explore> {
  await ((await import('yoga-layout')) as { ready?: Promise<unknown> }).ready;
  const [{ render }, { createElement }, { App }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./App.ts'),
  ]);
  return async (options) => {
    const app = render(
      createElement(App, {
        registry: options.registry,
        client: options.client,
        service: options.service,
        live: options.live,
        events: options.events,
        db: options.db,
        trace: options.trace,
        routes: options.routes,
        mcp: options.mcp,
      }),
      {
        stdin: options.stdin ?? process.stdin,
        stdout: options.stdout ?? process.stdout,
        // The caller checked for a terminal; CI detection must not turn drawing off.
        interactive: true,
        alternateScreen: true,
        exitOnCtrlC: true,
        patchConsole: true,
      },
    );
    await app.waitUntilExit();
  };
}
