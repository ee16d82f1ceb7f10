// The bot's settings from MICRO_BOT_* variables (each also a flag of `micro bot`, which the command
// puts in the environment it passes): the inputs, who may change state, the rate limit, the time a
// command may take and the endpoints of service-provided commands.
// Guarantees: every value is checked before anything starts; a bad one is a TypeError naming the
// variable and saying what it takes. Limits: at most 100 allow-list entries and 32 roles.
import { pickPlugin } from '../runtime/plugins.ts';
import { BOT_DEFAULTS, type InputFactory, type SafetyOptions } from './bot.ts';

/** What the settings give createBot. */
export interface BotSettings extends SafetyOptions {
  /** The inputs' names, in the order given, and their factories. */
  inputs: [string, InputFactory][];
  timeout: number;
  helpEndpoint: string;
  execEndpoint: string;
}

/** The default of MICRO_BOT_INPUTS: the terminal. */
export const DEFAULT_INPUTS = 'stdin';

const ENTRY = /^[a-z][a-z0-9-]*:\S{1,255}$/;
const ROLE = /^[\w.@-]{1,64}$/;
const ENDPOINT = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/;

/** A comma-separated list: trimmed, empties dropped, each checked, at most `max`. */
function list(env: NodeJS.ProcessEnv, name: string, ok: RegExp, what: string, max: number) {
  const value = env[name];
  if (value === undefined || value.trim() === '') return undefined;
  const items = [...new Set(value.split(',').map((s) => s.trim()))].filter((s) => s !== '');
  const bad = items.find((s) => !ok.test(s));
  if (bad !== undefined || items.length > max)
    throw new TypeError(
      `${name} takes up to ${max} ${what}, comma separated${bad === undefined ? '' : `, not ${JSON.stringify(bad.slice(0, 80))}`}`,
    );
  return items;
}

/** A number within bounds, or the default when unset. */
function number(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  check: (n: number) => boolean,
  what: string,
): number {
  const value = env[name];
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!check(n))
    throw new TypeError(`${name} must be ${what}, not ${JSON.stringify(value.slice(0, 40))}`);
  return n;
}

/** An endpoint name (`Command.Help`), or the default when unset. */
function endpoint(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name]?.trim();
  if (!value) return fallback;
  if (value.length > 128 || !ENDPOINT.test(value))
    throw new TypeError(
      `${name} must be an endpoint name such as ${fallback}, not ${JSON.stringify(value.slice(0, 40))}`,
    );
  return value;
}

/** The MICRO_BOT_* settings, checked, with the inputs picked from `table`. */
export function botSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  table: Readonly<Record<string, InputFactory>>,
): BotSettings {
  // Input names are the table's keys: `STDIN` is `stdin`; each may be named once.
  const given = env.MICRO_BOT_INPUTS?.toLowerCase();
  const named = list(
    { MICRO_BOT_INPUTS: given },
    'MICRO_BOT_INPUTS',
    /^[a-z][a-z0-9-]{0,31}$/,
    'input names',
    16,
  ) ?? [DEFAULT_INPUTS];
  const names = [...new Set(named)];
  const inputs = names.map((n): [string, InputFactory] => [
    n,
    pickPlugin(table, 'bot input', n, 'MICRO_BOT_INPUTS'),
  ]);
  const allow = list(
    env,
    'MICRO_BOT_ALLOW',
    ENTRY,
    'users as input:id (xmpp:alice@example.org, slack:*)',
    100,
  );
  // An entry for an input that does not exist is a typo that would allow nobody.
  const stranger = allow?.find((a) => !Object.hasOwn(table, a.split(':')[0] ?? ''));
  if (stranger !== undefined)
    throw new TypeError(
      `MICRO_BOT_ALLOW names ${JSON.stringify(stranger.slice(0, 80))}, but there is no input ${JSON.stringify(stranger.split(':')[0])}: use one of ${Object.keys(table).join(', ')}`,
    );
  const roles = list(env, 'MICRO_BOT_ROLES', ROLE, 'auth roles', 32);
  const rate = number(
    env,
    'MICRO_BOT_RATE',
    BOT_DEFAULTS.rate,
    (n) => Number.isFinite(n) && n >= 0 && n <= 1e6,
    'commands a second per user (0: no limit)',
  );
  const burst = number(
    env,
    'MICRO_BOT_BURST',
    Math.max(BOT_DEFAULTS.burst, rate),
    (n) => Number.isInteger(n) && n >= 1 && n <= 1e6,
    'a whole number of commands of at least 1',
  );
  const timeout = number(
    env,
    'MICRO_BOT_TIMEOUT',
    BOT_DEFAULTS.timeout,
    (n) => Number.isInteger(n) && n >= 1 && n <= 3_600_000,
    'whole ms from 1 to 3,600,000',
  );
  return {
    inputs,
    ...(allow && { allow }),
    ...(roles && { roles }),
    rate,
    burst,
    timeout,
    helpEndpoint: endpoint(env, 'MICRO_BOT_HELP', BOT_DEFAULTS.helpEndpoint),
    execEndpoint: endpoint(env, 'MICRO_BOT_EXEC', BOT_DEFAULTS.execEndpoint),
  };
}
