// A server's limits per caller (ServerOptions.limits, MICRO_LIMIT_*): calls and streams in flight,
// a queue, and a token-bucket rate, each per caller key: the guard's caller id, else the calling
// service named in `micro-from-service` (not verified: without a guard a caller can pick its key),
// else the peer's host. Past them a call or stream is refused with 429 and a retry-after; a queued
// one whose deadline passes first gets 408, and a queued call whose caller left is not run.
// Internal endpoints (Debug.*) are exempt; a stream holds its slot until it is done; a unary
// endpoint opened as a stream counts once, as a call. A server without limits makes none of this
// and pays nothing per call.
import type { Context } from '../context.ts';
import { MicroError, timeout as timeoutError, toMicroError } from '../errors.ts';
import { Bulkheads, checkLimits, type BulkheadLimits } from '../resilience/bulkhead.ts';
import type { CallerLimits } from '../resilience/policy.ts';
import { createRateLimiter, type RateLimiter } from '../resilience/rate-limit.ts';
import type { Pipe } from '../transport/transport.ts';
import type { EndpointEntry, HandlerFunc } from './handler.ts';

/** What the router asks of the caller limits. */
export interface CallerLimiter {
  /** Wraps an endpoint's handler so that each call holds a slot of its caller while it runs. */
  wrap(call: HandlerFunc): HandlerFunc;
  /** Admits a stream being opened (undefined: at once, or exempt); its slot is freed when the pipe is done. */
  stream(entry: EndpointEntry, ctx: Context, pipe: Pipe): Promise<void> | undefined;
  /** Stops its rate limiter's sweep of idle buckets (the server stopped). */
  close(): void;
}

/** The key a caller is limited by (see the module comment); a long name is cut, to bound the memory keys take. */
export function callerKey(ctx: Context): string {
  if (ctx.caller) return `caller ${ctx.caller.id.slice(0, 256)}`;
  if (ctx.from) return `service ${ctx.from.slice(0, 256)}`;
  const r = ctx.remote;
  const colon = r.lastIndexOf(':');
  // host:port, [v6]:port, or a transport's own name (nats, memory)
  const host = colon > 0 && /^\d+$/.test(r.slice(colon + 1)) ? r.slice(0, colon) : r;
  return `host ${host.replace(/^\[(.*)\]$/, '$1')}`;
}

const number = (v: unknown, min: number, int: boolean): boolean =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && (!int || Number.isInteger(v));

/** Checks limits given in code: a TypeError naming the bad field. */
export function checkCallerLimits(l: CallerLimits): CallerLimits {
  const fields: [keyof CallerLimits, number, boolean][] = [
    ['maxInFlight', 1, true],
    ['maxQueue', 0, true],
    ['queueTimeout', 0, false],
    ['burst', 1, false],
  ];
  for (const [name, min, int] of fields)
    if (l[name] !== undefined && !number(l[name], min, int))
      throw new TypeError(
        `limits.${name} must be ${int ? 'an integer' : 'a number'} >= ${min}, not ${String(l[name])}`,
      );
  if (l.rate !== undefined && !(number(l.rate, 0, false) && l.rate > 0))
    throw new TypeError(
      `limits.rate must be a number of calls a second > 0, not ${String(l.rate)}`,
    );
  needs(l, 'limits.');
  return l;
}

/** A queue without an in-flight limit, or a burst without a rate, limits nothing: a TypeError saying so. */
function needs(
  l: CallerLimits,
  prefix: string,
  names: Partial<Record<keyof CallerLimits, string>> = {},
): void {
  const name = (f: keyof CallerLimits): string => names[f] ?? `${prefix}${f}`;
  for (const f of ['maxQueue', 'queueTimeout'] as const)
    if (l[f] !== undefined && l.maxInFlight === undefined)
      throw new TypeError(
        `${name(f)} needs ${name('maxInFlight')}: the queue holds the calls past the in-flight limit`,
      );
  if (l.burst !== undefined && l.rate === undefined)
    throw new TypeError(`${name('burst')} needs ${name('rate')}: a burst is taken above a rate`);
}

/** MICRO_LIMIT_INFLIGHT, MICRO_LIMIT_QUEUE, MICRO_LIMIT_RATE and MICRO_LIMIT_BURST as limits; undefined when none is set. */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): CallerLimits | undefined {
  const vars: [string, keyof CallerLimits, number, boolean][] = [
    ['MICRO_LIMIT_INFLIGHT', 'maxInFlight', 1, true],
    ['MICRO_LIMIT_QUEUE', 'maxQueue', 0, true],
    ['MICRO_LIMIT_RATE', 'rate', 0, false],
    ['MICRO_LIMIT_BURST', 'burst', 1, false],
  ];
  const limits: CallerLimits = {};
  let any = false;
  for (const [name, field, min, int] of vars) {
    const text = env[name]?.trim();
    if (text === undefined || text === '') continue;
    const v = Number(text);
    if (!number(v, min, int) || (field === 'rate' && v <= 0))
      throw new TypeError(
        `${name} must be ${int ? 'an integer' : 'a number'} ${field === 'rate' ? '> 0' : `>= ${min}`}, not ${JSON.stringify(text.slice(0, 40))}`,
      );
    limits[field] = v;
    any = true;
  }
  needs(limits, '', Object.fromEntries(vars.map(([n, f]) => [f, n])));
  return any ? limits : undefined;
}

/** 429 from the service, with a retry-after. */
function tooMany(service: string, detail: string, seconds: number): MicroError {
  const s = Math.max(1, Math.ceil(seconds));
  const e = new MicroError(service, 429, `${detail}; retry after ${s} s`);
  e.retryAfter = s;
  return e;
}

/** Makes the caller limits of a service; undefined when the limits limit nothing. */
export function createCallerLimiter(
  service: string,
  given: CallerLimits,
): CallerLimiter | undefined {
  const l = checkCallerLimits(given);
  const rate: RateLimiter | undefined =
    l.rate !== undefined ? createRateLimiter(l.rate, l.burst ?? Math.max(1, l.rate)) : undefined;
  const size: BulkheadLimits | undefined =
    l.maxInFlight !== undefined
      ? checkLimits('limits', {
          maxInFlight: l.maxInFlight,
          maxQueue: l.maxQueue ?? 0,
          queueTimeout: l.queueTimeout ?? 1000,
        })
      : undefined;
  if (!rate && !size) return undefined;
  const slots = new Bulkheads();

  /** Admits one call or stream of the key: undefined at once, a promise when queued; throws the refusal. */
  const admit = (key: string, deadline: number): Promise<void> | undefined => {
    if (rate) {
      const wait = rate.take(key);
      if (wait > 0)
        throw tooMany(
          service,
          `this caller called ${service} more than ${l.rate} times a second`,
          wait,
        );
    }
    if (!size) return undefined;
    const got = slots.get(key, size).enter(deadline);
    if (got === true) return undefined;
    const refused = (r: 'full' | 'timeout' | 'deadline'): never => {
      if (r === 'deadline')
        throw timeoutError(service, `the deadline passed while waiting for a slot of ${service}`);
      throw tooMany(
        service,
        r === 'full'
          ? `this caller has ${size.maxInFlight} calls and streams in flight on ${service} and ${size.maxQueue} queued, its limit`
          : `this caller waited ${size.queueTimeout} ms for one of its ${size.maxInFlight} slots on ${service}`,
        1,
      );
    };
    if (!(got instanceof Promise)) return refused(got);
    return got.then((r) => (r === true ? undefined : refused(r)));
  };

  return {
    close: () => rate?.close(),
    wrap(call) {
      if (!size)
        return (req, ctx) => {
          void admit(callerKey(ctx), ctx.deadline);
          return call(req, ctx);
        };
      return async (req, ctx) => {
        const key = callerKey(ctx);
        const queued = admit(key, ctx.deadline);
        if (queued) {
          await queued;
          // A caller that left (or whose deadline passed) while queued is not served.
          if (ctx.signal.aborted) {
            slots.leave(key);
            throw toMicroError(ctx.signal.reason, service);
          }
        }
        try {
          return await call(req, ctx);
        } finally {
          slots.leave(key);
        }
      };
    },
    stream(entry, ctx, pipe) {
      if (entry.internal || entry.kind === 'unary') return undefined;
      const key = callerKey(ctx);
      const queued = admit(key, ctx.deadline);
      const hold = (): undefined => {
        if (size) void pipe.done.then(() => slots.leave(key));
        return undefined;
      };
      return queued ? queued.then(hold) : hold();
    },
  };
}
