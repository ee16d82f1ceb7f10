// A benchmark's settings from flags and environment variables, checked before anything starts.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** raw as a number >= min, or fallback when raw is unset or empty; what names it in the error. */
export function toNumber(
  raw: string | undefined,
  fallback: number,
  min: number,
  what: string,
): number {
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < min)
    throw new Error(`${what} must be a number >= ${min}, got "${raw}"`);
  return n;
}

/** The environment variable name as a number >= min, or fallback when it is unset or empty. */
export const envNumber = (name: string, fallback: number, min: number): number =>
  toNumber(process.env[name], fallback, min, name);

/** The contenders whose keys raw lists, comma separated (all when raw is unset); what names it in the error. */
export function pickContenders<C extends { key: string }>(
  list: C[],
  raw: string | undefined,
  what: string,
): C[] {
  if (raw === undefined) return list;
  const keys = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const k of keys) {
    if (!list.some((c) => c.key === k))
      throw new Error(`${what}: unknown contender ${k}; use ${list.map((c) => c.key).join(', ')}`);
  }
  return list.filter((c) => keys.includes(c.key));
}

/** A benchmark's settings: each from its flag (`--name=value`), else its environment variable. */
export interface Settings {
  /** The flag's value, else the variable's; undefined when neither is set. */
  text(flag: string, env: string): string | undefined;
  /** The flag or variable as a number >= min, or fallback when neither is set. */
  number(flag: string, env: string, fallback: number, min: number): number;
  /** True when the flag is given or the variable is `1`. */
  on(flag: string, env: string): boolean;
}

/** The settings in argv (options: parseArgs's declarations of the flags) and the environment. */
export function readSettings(argv: string[], options: ParseArgsOptionsConfig): Settings {
  const { values } = parseArgs({ args: argv, strict: false, allowPositionals: true, options });
  const text = (flag: string, env: string): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : process.env[env];
  };
  return {
    text,
    number: (flag, env, fallback, min) =>
      toNumber(text(flag, env), fallback, min, `--${flag} (${env})`),
    on: (flag, env) => values[flag] === true || process.env[env] === '1',
  };
}
