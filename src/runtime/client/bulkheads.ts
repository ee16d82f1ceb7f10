// The client's bulkheads: the target policy's `bulkhead` around each whole call (its retries
// included) and each stream, per target service (`maxInFlight`) and per endpoint of it
// (`perEndpoint`). A call past them waits in the queue (maxQueue, queueTimeout, never past its
// deadline) or fails at once with a 503 from `micro.client` with a retry-after of 1 s; one whose
// deadline passes while queued gets a 408. A stream holds its slots until its responses are read
// to the end or it is closed: a stream left unread and unclosed keeps them. A client whose policy
// has no bulkhead anywhere gets its call and stream functions back unchanged.
import { MicroError, timeout as timeoutError } from '../errors.ts';
import {
  Bulkheads,
  checkLimits,
  type BulkheadLimits,
  type BulkheadRefusal,
} from '../resilience/bulkhead.ts';
import { targetPolicy, type BulkheadOptions, type ResiliencyPolicy } from '../resilience/policy.ts';
import type { CallFunc, CallOptions, ClientStream, StreamFunc } from './client.ts';

const ID = 'micro.client';

/** Wraps a client's call and stream functions in the bulkheads of its policy. */
export interface ClientBulkheads {
  /** The call function with the bulkheads around it. */
  call(next: CallFunc): CallFunc;
  /** The stream function with the bulkheads around it. */
  stream(next: StreamFunc): StreamFunc;
}

/** One slot to take: the bulkhead's key, its size and how to name it. */
interface Slot {
  key: string;
  limits: BulkheadLimits;
  name: string;
}

const sizeOf = (b: BulkheadOptions, max: number, where: string): BulkheadLimits =>
  checkLimits(where, {
    maxInFlight: max,
    maxQueue: b.maxQueue ?? 0,
    queueTimeout: b.queueTimeout ?? 1000,
  });

/** Checks every bulkhead of a policy: a TypeError naming the bad one. */
function checkPolicy(policy: ResiliencyPolicy): boolean {
  const all: [string, BulkheadOptions | undefined][] = [
    ['policy.default.bulkhead', policy.default?.bulkhead],
    ...Object.entries(policy.targets ?? {}).map(
      ([name, t]): [string, BulkheadOptions | undefined] => [
        `policy.targets.${name}.bulkhead`,
        t.bulkhead,
      ],
    ),
  ];
  let any = false;
  for (const [where, b] of all) {
    if (!b) continue;
    if (b.maxInFlight !== undefined) sizeOf(b, b.maxInFlight, where);
    if (b.perEndpoint !== undefined) sizeOf(b, b.perEndpoint, `${where} (perEndpoint)`);
    any ||= b.maxInFlight !== undefined || b.perEndpoint !== undefined;
  }
  return any;
}

/** When a call or stream stops waiting: its timeout (and its parent's deadline) from now. */
function deadlineOf(o: CallOptions, stream: boolean): number {
  const now = Date.now();
  let d = stream && o.timeout === undefined ? Number.POSITIVE_INFINITY : now + (o.timeout ?? 5000);
  if (o.parent && Number.isFinite(o.parent.deadline)) d = Math.min(d, o.parent.deadline);
  return Number.isNaN(d) ? now + 5000 : d;
}

/** Makes the bulkheads of a client's policy. */
export function createBulkheads(policy: ResiliencyPolicy | undefined): ClientBulkheads {
  if (!policy || !checkPolicy(policy)) return { call: (next) => next, stream: (next) => next };
  const heads = new Bulkheads();

  /** The slots a call to service/endpoint takes: the service's, then its endpoint's. */
  const slotsOf = (service: string, endpoint: string): Slot[] => {
    const b = targetPolicy(policy, service)?.bulkhead;
    if (!b) return [];
    const slots: Slot[] = [];
    if (b.maxInFlight !== undefined)
      slots.push({ key: service, limits: sizeOf(b, b.maxInFlight, service), name: service });
    if (b.perEndpoint !== undefined)
      slots.push({
        key: `${service}\n${endpoint}`,
        limits: sizeOf(b, b.perEndpoint, service),
        name: `${service} ${endpoint}`,
      });
    return slots;
  };

  const refusal = (slot: Slot, r: BulkheadRefusal): MicroError => {
    if (r === 'deadline')
      return timeoutError(ID, `the deadline passed while waiting for the bulkhead of ${slot.name}`);
    const l = slot.limits;
    const e = new MicroError(
      ID,
      503,
      r === 'full'
        ? `the bulkhead of ${slot.name} is full (${l.maxInFlight} in flight, ${l.maxQueue} queued); retry after 1 s`
        : `no slot of the bulkhead of ${slot.name} was free within ${l.queueTimeout} ms; retry after 1 s`,
    );
    e.retryAfter = 1;
    return e;
  };

  const leave = (slots: Slot[], n = slots.length): void => {
    for (let i = 0; i < n; i++) heads.leave(slots[i]!.key);
  };

  /** Takes every slot in turn; on a refusal gives back those taken and throws it. */
  const enter = async (slots: Slot[], deadline: number): Promise<void> => {
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const entered = heads.get(slot.key, slot.limits).enter(deadline);
      const got = entered instanceof Promise ? await entered : entered;
      if (got !== true) {
        leave(slots, i);
        throw refusal(slot, got);
      }
    }
  };

  /** The options with what waiting for a slot took off the timeout. */
  const after = (o: CallOptions, start: number): CallOptions => {
    const waited = Date.now() - start;
    return waited > 0 && o.timeout !== undefined ? { ...o, timeout: o.timeout - waited } : o;
  };

  return {
    call: (next) => async (req) => {
      const slots = slotsOf(req.service, req.endpoint);
      if (slots.length === 0) return next(req);
      const start = Date.now();
      await enter(slots, deadlineOf(req.options, false));
      try {
        return await next({ ...req, options: after(req.options, start) });
      } finally {
        leave(slots);
      }
    },
    stream: (next) => async (req) => {
      const slots = slotsOf(req.service, req.endpoint);
      if (slots.length === 0) return next(req);
      const start = Date.now();
      await enter(slots, deadlineOf(req.options, true));
      let held = true;
      const release = (): void => {
        if (held) leave(slots);
        held = false;
      };
      let s: ClientStream;
      try {
        s = await next({ ...req, options: after(req.options, start) });
      } catch (err) {
        release();
        throw err;
      }
      return {
        send: (m) => s.send(m),
        end: () => s.end(),
        close: () => {
          s.close();
          release();
        },
        async *[Symbol.asyncIterator]() {
          try {
            yield* s;
          } finally {
            release();
          }
        },
      };
    },
  };
}
