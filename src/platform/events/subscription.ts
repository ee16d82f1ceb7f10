// The `micro` events' subscriptions: the `Events.Subscribe` server stream, subscribed again with
// backoff whenever it breaks (same group; an ephemeral one resumes after the last offset it saw),
// with acknowledgements sent once per turn as one Ack and retried while the control plane is away,
// until they succeed or the subscription stops. At a stop, what was handled is acknowledged first
// and what was received but never handed out is nacked, so the group's others get it at once.
import type { Client, ClientStream } from '../../runtime/client/client.ts';
import { MicroError, serviceUnavailable, toMicroError } from '../../runtime/errors.ts';
import { Channel } from '../../registry/channel.ts';
import { TransportError, TransportErrors } from '../../runtime/transport/transport.ts';
import type { Delivery, EventSubscribeOptions, EventSubscription } from './events.ts';
import { EVENTS_ID } from './errors.ts';
import { checkDelay } from './validate.ts';

type WireDelivery = Omit<Delivery, 'ack' | 'nack'>;
type Message = { ready: true; member: string } | { deliveries: WireDelivery[] };

/** True for a failure that says the events service was not reached: worth retrying later. */
export const away = (err: MicroError): boolean =>
  err.code >= 500 || err.code === 408 || (err.code === 404 && err.id !== EVENTS_ID);

/** True when no connection could be made (a stale node, say): nothing was sent, so any call may go again. */
export const refused = (err: unknown): boolean =>
  err instanceof TransportError && err.reason === TransportErrors.connect;

/** Resolves after `ms`, or at once when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/** Ms to wait before the attempt after `attempt` (from 0). */
export const backoff = (attempt: number) => Math.min(100 * 2 ** attempt, 5000);

/** Acknowledgements of one subscription, sent once per turn and retried while the service is away. */
class Acker {
  #offsets: number[] = [];
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #scheduled = false;
  #inFlight = new Set<Promise<void>>();
  readonly #send: (offsets: number[]) => Promise<unknown>;
  readonly #signal: AbortSignal;

  constructor(send: (offsets: number[]) => Promise<unknown>, signal: AbortSignal) {
    this.#send = send;
    this.#signal = signal;
  }

  ack(offset: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#offsets.push(offset);
      this.#waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Sends what is queued now: retried until it succeeds or the subscription stops. */
  flush(): Promise<void> {
    this.#scheduled = false;
    if (this.#offsets.length === 0) return Promise.all([...this.#inFlight]).then(() => undefined);
    const offsets = this.#offsets.splice(0);
    const waiters = this.#waiters.splice(0);
    const sending = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.#send(offsets);
          return waiters.forEach((w) => w.resolve());
        } catch (err) {
          const e = err as MicroError;
          if (!away(e) || this.#signal.aborted) return waiters.forEach((w) => w.reject(e));
          await pause(backoff(attempt), this.#signal);
        }
      }
    })();
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
    return Promise.all([...this.#inFlight]).then(() => undefined);
  }
}

/** A subscription over the `Events.Subscribe` stream, subscribing again whenever it breaks. */
export async function subscribeStream(
  topic: string,
  o: EventSubscribeOptions,
  client: () => Promise<Client>,
  call: <T>(endpoint: string, body: object) => Promise<T>,
  where: string,
  timeout: number,
): Promise<EventSubscription> {
  const group = o.group;
  const stopped = new AbortController();
  let stream: ClientStream<object, Message> | undefined;
  // Deliveries received and not yet handed to the caller: released at once when it stops.
  const unread = new Set<number>();
  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      channel.close();
      // What was handled before the stop is acknowledged first (one try); what was never handed
      // out goes back to the group at once rather than after its ackTimeout.
      const acks = acker.flush();
      stopped.abort();
      const left = [...unread];
      unread.clear();
      if (group !== undefined && left.length > 0)
        await call('Nack', { topic, group, offsets: left }).catch(() => undefined);
      await acks.catch(() => undefined);
      stream?.close();
    })());
  const channel = new Channel<Delivery>(() => void shutdown());
  const acker = new Acker((offsets) => call('Ack', { topic, group, offsets }), stopped.signal);
  let last = 0;
  const request = (): object => {
    // An ephemeral subscription resumes after what it saw; a group keeps its own position.
    const start = group === undefined && last > 0 ? { offset: last + 1 } : o.start;
    return { topic, ...o, ...(start !== undefined && { start }) };
  };
  const delivery = (d: WireDelivery): Delivery => ({
    ...d,
    ack: () => (group === undefined ? Promise.resolve() : acker.ack(d.offset)),
    nack: async (delay) => {
      checkDelay(delay);
      if (group === undefined) return;
      await call('Nack', { topic, group, offsets: [d.offset], ...(delay && { delay }) });
    },
  });

  let live!: () => void;
  let failed!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => ((live = resolve), (failed = reject)));
  let first = true;
  // The first subscribe tries again, as a broken stream does, until the client's timeout.
  const deadline = Date.now() + timeout;
  void (async () => {
    for (let attempt = 0; !channel.closed; attempt++) {
      try {
        const s = await (await client()).stream<object, Message>('events', 'Events.Subscribe');
        stream = s;
        if (channel.closed) return s.close();
        s.send(request());
        s.end();
        for await (const m of s) {
          if ('ready' in m) {
            first = false;
            attempt = 0;
            live();
          } else
            for (const d of m.deliveries) {
              last = Math.max(last, d.offset);
              if (group !== undefined) unread.add(d.offset);
              channel.push(delivery(d));
            }
        }
        if (first) throw serviceUnavailable(EVENTS_ID, 'the subscription ended before it was live');
      } catch (err) {
        const e = explain(toMicroError(err, EVENTS_ID), where);
        // A refused subscription will be refused again; the first is the caller's past its timeout.
        const late = first && Date.now() + backoff(attempt) >= deadline;
        if (late || (e.code < 500 && !away(e))) {
          failed(e);
          return channel.close();
        }
      }
      if (!channel.closed) await pause(backoff(attempt), stopped.signal);
    }
  })();
  await ready;
  return {
    topic,
    group,
    stop: shutdown,
    [Symbol.asyncIterator]() {
      const it = channel[Symbol.asyncIterator]();
      return {
        async next() {
          if (closing) return { done: true, value: undefined };
          const r = await it.next();
          if (!r.done) unread.delete(r.value.offset);
          return r;
        },
        async return() {
          await shutdown();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** The events' own errors as they were raised; failures to reach it say where and what to do. */
export function explain(err: MicroError, where: string): MicroError {
  if (err.id === EVENTS_ID || !away(err)) return err;
  const hint = /micro run/.test(err.detail)
    ? ''
    : '; start the control plane with "micro run", or set MICRO_EVENTS and MICRO_EVENTS_ADDRESS';
  return serviceUnavailable(EVENTS_ID, `no answer from ${where} (${err.detail})${hint}`);
}
