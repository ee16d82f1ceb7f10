// The MCP options from the environment: MICRO_MCP_ALLOW and MICRO_MCP_DENY (comma lists of tool
// name patterns), MICRO_MCP_NAMES (`dotted` or `safe`), MICRO_MCP_RATE (tool calls a second per
// client, 0 for no limit) and MICRO_MCP_TIMEOUT (a duration: `30000`, `500ms`, `30s`, `2m`).
// Guarantees: an unset or empty variable leaves its option out (the default applies); a bad value
// is a TypeError naming the variable and saying what it takes. Limits: MAX_PATTERNS patterns of
// MAX_PATTERN characters each; a timeout within what a timer honours.
import { MAX_TIMEOUT } from '../../runtime/deadline.ts';
import type { McpOptions } from './mcp.ts';

/** Patterns a list may hold at most. */
export const MAX_PATTERNS = 100;

/** Characters of a pattern at most. */
export const MAX_PATTERN = 256;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A comma list of patterns; undefined when unset or empty. */
function patterns(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const list = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (list.length > MAX_PATTERNS)
    throw new TypeError(`${name} holds ${list.length} patterns; at most ${MAX_PATTERNS}`);
  for (const p of list)
    if (p.length > MAX_PATTERN || /[\s\p{Cc}]/u.test(p))
      throw new TypeError(
        `${name}: ${JSON.stringify(p.slice(0, 40))} is not a tool name pattern (no spaces, at most ${MAX_PATTERN} characters; * for any run, e.g. greeter.*)`,
      );
  return list;
}

/** The options the environment sets; throws a TypeError naming the variable on a bad value. */
export function mcpOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): McpOptions {
  const out: McpOptions = {};
  const allow = patterns(env, 'MICRO_MCP_ALLOW');
  if (allow) out.allow = allow;
  const deny = patterns(env, 'MICRO_MCP_DENY');
  if (deny) out.deny = deny;

  const names = env.MICRO_MCP_NAMES?.trim();
  if (names) {
    if (names !== 'dotted' && names !== 'safe')
      throw new TypeError(
        `MICRO_MCP_NAMES is ${JSON.stringify(names.slice(0, 40))}: use dotted or safe`,
      );
    out.names = names;
  }

  const rate = env.MICRO_MCP_RATE?.trim();
  if (rate) {
    const n = /^\d+(\.\d+)?$/.test(rate) ? Number(rate) : NaN;
    if (!Number.isFinite(n) || n > 1_000_000)
      throw new TypeError(
        `MICRO_MCP_RATE is ${JSON.stringify(rate.slice(0, 40))}: use tool calls a second per client, a number from 0 (no limit) to 1000000`,
      );
    out.rate = n;
  }

  const timeout = env.MICRO_MCP_TIMEOUT?.trim();
  if (timeout) {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(timeout);
    const ms = m ? Math.round(Number(m[1]) * (UNITS[m[2] ?? 'ms'] ?? 1)) : NaN;
    if (!(ms >= 1 && ms <= MAX_TIMEOUT))
      throw new TypeError(
        `MICRO_MCP_TIMEOUT is ${JSON.stringify(timeout.slice(0, 40))}: use a duration above 0, e.g. 30000, 500ms, 30s or 2m`,
      );
    out.timeout = ms;
  }
  return out;
}

/** Whether MICRO_MCP leaves MCP on: unset or on/true/1/yes; off/false/0/no turn it off; else a TypeError. */
export function mcpEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.MICRO_MCP?.trim().toLowerCase();
  if (v === undefined || v === '' || ['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new TypeError(
    `MICRO_MCP is ${JSON.stringify(env.MICRO_MCP?.slice(0, 40))}: use on or off (off: no /mcp at the gateway)`,
  );
}
