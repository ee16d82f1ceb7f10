/** Deadlines from the wire: one parser for every `Micro-Timeout`, and timer delays Node honours. */
import { badRequest } from './errors.ts';

/** The longest delay setTimeout honours (2^31-1 ms, about 24.8 days); Node fires at once for more. */
export const MAX_TIMEOUT = 2_147_483_647;

/** A timer delay clamped to [0, MAX_TIMEOUT], so a huge deadline waits long instead of firing at once. */
export const timerDelay = (ms: number): number =>
  Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_TIMEOUT) : MAX_TIMEOUT;

/**
 * Parses a `Micro-Timeout` value (milliseconds left): undefined when absent, clamped to MAX_TIMEOUT,
 * and a 400 naming the header when it is not a positive number.
 */
export function parseTimeout(value: string | string[] | undefined, id: string): number | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value[0] : value;
  const ms = text !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0)
    throw badRequest(
      id,
      `Micro-Timeout must be a positive number of milliseconds, got ${JSON.stringify(String(text).slice(0, 40))}`,
    );
  return Math.min(ms, MAX_TIMEOUT);
}
