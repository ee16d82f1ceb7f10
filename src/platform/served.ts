// Which engine a control-plane service serves: its own SQLite in micro.db unless the control
// plane's environment names another one from the area's table (MICRO_STORE=redis...), made with
// that variable's _ADDRESS. The store, the events and the db choose this way; each passes its
// SQLite opener and its table, both loaded only when chosen.
import type { HostContext } from './hosting.ts';

/** What an area tells servedEngine. */
export interface ServedArea<T, O> {
  /** The area's name in messages: `store`, `events`, `db`. */
  name: string;
  /** The variable naming the engine: `MICRO_STORE`... (and `<variable>_ADDRESS` its address). */
  variable: string;
  /** Opens the area on the control plane's SQLite (the default, `micro`). */
  sqlite: () => Promise<T>;
  /** Loads the area's table of engines by name. */
  table: () => Promise<Readonly<Record<string, (options: O) => T>>>;
  /** Options given to the table's entry besides the address. */
  options?: Omit<O, 'address'>;
}

/** The engine the control plane serves the area from; an unknown name is a TypeError listing the valid ones. */
export async function servedEngine<T, O extends { address?: string }>(
  context: HostContext,
  area: ServedArea<T, O>,
): Promise<T> {
  const engine = context.env[area.variable] || 'micro';
  if (engine === 'micro') return area.sqlite();
  const [table, { pickPlugin }] = await Promise.all([
    area.table(),
    import('../runtime/plugins.ts'),
  ]);
  const make = pickPlugin(
    table,
    area.name,
    engine,
    `${area.variable} in the control plane's environment`,
  );
  return make({
    ...area.options,
    address: context.env[`${area.variable}_ADDRESS`] || undefined,
  } as O);
}
