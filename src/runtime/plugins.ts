// Picking a plugin (registry, broker, transport) from its area's table by name, for the
// MICRO_* variables and the commands' flags alike.

/**
 * The factory a table holds under `name`; an unknown name (or one every object has, such as
 * `toString`) is a TypeError saying where the name came from (`from`) and listing the valid ones,
 * so that a typo fails at start-up, not on the first call.
 */
export function pickPlugin<F>(
  table: Readonly<Record<string, F>>,
  what: string,
  name: string,
  from: string,
): F {
  const make = Object.hasOwn(table, name) ? table[name] : undefined;
  if (make === undefined) {
    throw new TypeError(
      `unknown ${what} "${name}" (${from}): use one of ${Object.keys(table).join(', ')}`,
    );
  }
  return make;
}
