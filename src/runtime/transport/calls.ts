/** The table of calls and streams a client has in flight on one connection: ids, deadlines, replies, failure. */
import { replyError, type MicroError } from '../errors.ts';
import { Kind, type Frame } from './frame.ts';
import {
  TransportError,
  TransportErrors,
  abandoned,
  type Message,
  type Reply,
} from './transport.ts';

const ID = 'micro.client';

/** One call waiting for its reply; a transport may add its own fields. */
export interface Call {
  resolve: (r: Reply) => void;
  reject: (e: MicroError) => void;
  timer: NodeJS.Timeout | undefined;
  /** Set by the table for a call given a signal: removes its abort listener. */
  unlisten?: () => void;
}

/** What the table feeds a stream's frames to: a QueuePipe, or a transport's wrapper of one. */
export interface Inbound {
  deliver(body: Uint8Array): void;
  remoteEnd(): void;
  remoteFail(err: MicroError): void;
}

/** What a transport does when the table changes: all optional. */
export interface CallTableHooks<C extends Call> {
  /** A call passed its deadline (failed with 408) or was aborted (499): tell the peer (a cancel frame). */
  expired?(id: number, call: C): void;
  /** The first call or stream was added to an empty table. */
  busy?(): void;
  /** The last call or stream left the table. */
  idle?(): void;
}

/**
 * Calls and streams in flight, by id (one id space for both, 1 to 2^32-2, wrapping). Replies and
 * errors settle calls; data, end and error frames go to streams; a lost connection fails them all.
 */
export class CallTable<C extends Call = Call, S extends Inbound = Inbound> {
  readonly #calls = new Map<number, C>();
  readonly #streams = new Map<number, S>();
  readonly #hooks: CallTableHooks<C>;
  #next = 1;

  constructor(hooks: CallTableHooks<C> = {}) {
    this.#hooks = hooks;
  }

  /** The next id for a call or stream. */
  id(): number {
    const n = this.#next;
    this.#next = n >= 0xfffffffe ? 1 : n + 1;
    return n;
  }

  /** True when no call or stream is in flight. */
  get empty(): boolean {
    return this.#calls.size === 0 && this.#streams.size === 0;
  }

  /** The call in flight with this id. */
  call(id: number): C | undefined {
    return this.#calls.get(id);
  }

  /** The stream open with this id. */
  stream(id: number): S | undefined {
    return this.#streams.get(id);
  }

  /** Calls in flight, by id. */
  calls(): MapIterator<[number, C]> {
    return this.#calls.entries();
  }

  /** Streams open, by id. */
  streams(): MapIterator<[number, S]> {
    return this.#streams.entries();
  }

  /**
   * Adds call `id`; with a timeout (finite, > 0) it fails with 408 that many ms later, naming the
   * request's service and endpoint and the address, and the `expired` hook runs; the same with a
   * 499 when `signal` aborts first.
   */
  add(
    id: number,
    call: C,
    timeout: number,
    request: Message,
    address: string,
    signal?: AbortSignal,
  ): void {
    if (timeout > 0 && Number.isFinite(timeout))
      call.timer = setTimeout(() => this.#expire(id, call, request, address, timeout), timeout);
    if (signal) this.#listen(id, call, signal, address);
    if (this.#hooks.busy && this.empty) this.#hooks.busy();
    this.#calls.set(id, call);
  }

  /** Adds stream `id`. */
  addStream(id: number, stream: S): void {
    if (this.#hooks.busy && this.empty) this.#hooks.busy();
    this.#streams.set(id, stream);
  }

  /** Forgets stream `id` (it ended); true when it was there. */
  removeStream(id: number): boolean {
    if (!this.#streams.delete(id)) return false;
    if (this.#hooks.idle && this.empty) this.#hooks.idle();
    return true;
  }

  /** Settles the call a reply or error frame answers; false when it answers none. */
  settle(f: Frame): boolean {
    const kind = f.kind;
    if (kind !== Kind.reply && kind !== Kind.error) return false;
    const c = this.#calls.get(f.id);
    if (!c) return false;
    this.#calls.delete(f.id);
    clearTimeout(c.timer);
    c.unlisten?.();
    if (this.#hooks.idle && this.empty) this.#hooks.idle();
    if (kind === Kind.reply) c.resolve({ header: f.header, body: f.body });
    else c.resolve({ header: f.header, body: f.body, error: true });
    return true;
  }

  /** Routes a frame from the peer to its call (settle) or stream (feed); false when neither took it. */
  dispatch(f: Frame): boolean {
    if (this.settle(f)) return true;
    const s = this.#streams.get(f.id);
    return s !== undefined && feed(s, f);
  }

  /** Fails the call or stream with this id, whichever it is. */
  fail(id: number, err: MicroError): void {
    const c = this.#calls.get(id);
    if (c) {
      this.#calls.delete(id);
      clearTimeout(c.timer);
      c.unlisten?.();
      if (this.#hooks.idle && this.empty) this.#hooks.idle();
      c.reject(err);
      return;
    }
    this.#streams.get(id)?.remoteFail(err);
  }

  /** Fails every call and stream: the connection is gone. */
  failAll(err: MicroError): void {
    const calls = [...this.#calls.values()];
    const streams = [...this.#streams.values()];
    this.#calls.clear();
    this.#streams.clear();
    for (const c of calls) {
      clearTimeout(c.timer);
      c.unlisten?.();
      c.reject(err);
    }
    for (const s of streams) s.remoteFail(err);
  }

  #listen(id: number, call: C, signal: AbortSignal, address: string): void {
    const abort = (): void => {
      if (this.#calls.get(id) !== call) return;
      this.#calls.delete(id);
      clearTimeout(call.timer);
      if (this.#hooks.idle && this.empty) this.#hooks.idle();
      this.#hooks.expired?.(id, call);
      call.reject(abandoned(address));
    };
    if (signal.aborted) return queueMicrotask(abort);
    signal.addEventListener('abort', abort, { once: true });
    call.unlisten = () => signal.removeEventListener('abort', abort);
  }

  #expire(id: number, call: C, request: Message, address: string, ms: number): void {
    if (this.#calls.get(id) !== call) return;
    this.#calls.delete(id);
    call.unlisten?.();
    if (this.#hooks.idle && this.empty) this.#hooks.idle();
    this.#hooks.expired?.(id, call);
    call.reject(
      new TransportError(
        TransportErrors.timeout,
        408,
        `call to ${request.header['micro-service'] ?? '?'} ${request.header['micro-endpoint'] ?? '?'} at ${address} timed out after ${ms} ms`,
      ),
    );
  }
}

/** Hands a stream its data, end or error frame; false for other kinds. */
export function feed(s: Inbound, f: Frame): boolean {
  const kind = f.kind;
  if (kind === Kind.data) s.deliver(f.body);
  else if (kind === Kind.end) s.remoteEnd();
  else if (kind === Kind.error) s.remoteFail(replyError(f, ID));
  else return false;
  return true;
}
