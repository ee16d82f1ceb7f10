// What the `micro events` commands share: the events the flags name, and their flags' parsing
// (starts, times, offsets, counts) with a 400 that names the flag, and an event's one-line form.
import { printable } from '../../registry/printable.ts';
import type { EventRecord, Events, StartAt } from '../../platform/events/events.ts';
import { badRequest } from '../../runtime/errors.ts';
import { sinceTime } from '../logs.ts';
import type { Args } from './command.ts';
import { withConnection } from './connect.ts';
import { json } from './output.ts';

const CLI = 'micro.cli';

/** Runs fn with the events the flags name: the control plane's through this command's client by default. */
export async function withEvents<T>(
  args: Args<object>,
  fn: (events: Events) => Promise<T>,
): Promise<T> {
  const [{ eventEngines }, { pickPlugin }] = await Promise.all([
    import('../../platform/events/index.ts'),
    import('../../runtime/plugins.ts'),
  ]);
  let make;
  try {
    make = pickPlugin(eventEngines, 'events', args.events, '--events or MICRO_EVENTS');
  } catch (err) {
    throw badRequest(CLI, (err as Error).message);
  }
  return withConnection(args, async ({ client }) => {
    const address = args.eventsAddress || undefined;
    const events = make({ ...(address ? { address } : { client }) });
    try {
      return await fn(events);
    } finally {
      await events.close();
    }
  });
}

/** A --limit or --count, when given, is a whole number of at least 1: else a 400. */
export const positiveWhole = (n: number | undefined, flag: string): void => {
  if (n !== undefined && !(Number.isInteger(n) && n >= 1))
    throw badRequest(CLI, `--${flag} must be a whole number of at least 1, not ${n}`);
};

/** A time given as a duration before now (10m, 1h30m, 2d), ISO 8601, or ms since the epoch. */
export function parseTime(value: string, flag: string): number {
  let n = Number.NaN;
  try {
    n = /^\d+$/.test(value) ? Number(value) : sinceTime(value);
  } catch {
    // Said below, naming the flag.
  }
  if (!Number.isFinite(n))
    throw badRequest(
      CLI,
      `--${flag} must be a duration before now (10m, 1h30m, 2d) or a time (2026-12-07T09:00:00Z, or ms since the epoch), not ${JSON.stringify(value)}`,
    );
  return n;
}

/** --from: latest, earliest, an offset, or a time (ISO, or a duration before now). */
export function parseStart(value: string | undefined, what = '--from'): StartAt | undefined {
  if (value === undefined) return undefined;
  if (value === 'latest' || value === 'earliest') return value;
  if (/^\d+$/.test(value)) return { offset: Number(value) };
  if (/^\d{4}-|^\d+(\.\d+)?(ms|s|m|h|d)/.test(value)) return { time: parseTime(value, 'from') };
  throw badRequest(
    CLI,
    `${what} must be latest, earliest, an offset, a duration before now (10m) or an ISO time, not ${JSON.stringify(value)}`,
  );
}

/** An offset flag: a whole number of at least 1. */
export const offsetFlag = (value: number | undefined, flag: string): number | undefined => {
  positiveWhole(value, flag);
  return value;
};

/** One event on one line: offset, time, key, data. */
export const line = (e: EventRecord): string =>
  printable(`${e.offset} ${new Date(e.time).toISOString()} ${e.key ?? '-'} ${json(e.data, false)}`);
