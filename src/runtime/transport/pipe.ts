/** The Pipe a transport hands each side of a stream, fed by the transport, with its unread bytes bounded. */
import type { MicroError } from '../errors.ts';
import type { Pipe } from './transport.ts';

/** How a pipe reaches its peer; each transport supplies one. */
export interface PipeOutlet {
  send(body: Uint8Array): void;
  end(): void;
  fail(err: MicroError): void;
  /** Called once when both sides are done or the stream failed. */
  release(): void;
  /** The error to reset the stream with when its unread messages pass the budget (413). */
  overflow?(queued: number, limit: number, connection: boolean): MicroError;
}

/** How many unread bytes the pipes of one connection may hold: each, and all together. */
export interface InboundBudget {
  perStream: number;
  total: number;
  /** Held now by the connection's pipes. */
  used: number;
}

/** Counted per queued message besides its bytes, so that a flood of empty messages is bounded too. */
export const MESSAGE_COST = 64;

/** A Pipe whose inbound side the transport feeds with deliver, remoteEnd and remoteFail. */
export class QueuePipe implements Pipe {
  readonly #out: PipeOutlet;
  #queue: Uint8Array[] = [];
  #waiting:
    { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void } | undefined;
  #localEnded = false;
  #remoteEnded = false;
  #error: MicroError | undefined;
  #finished = false;
  /** The reader let go of its iterator: later messages are dropped, not kept. */
  #discard = false;
  #budget: InboundBudget | undefined;
  /** Bytes (with MESSAGE_COST each) waiting in the queue, counted against the budget. */
  #queued = 0;
  #resolveDone!: () => void;
  readonly done: Promise<void>;

  /** With a budget, unread messages past it reset the stream (out.overflow names the error). */
  constructor(out: PipeOutlet, budget?: InboundBudget) {
    this.#out = out;
    this.#budget = budget;
    this.done = new Promise((r) => (this.#resolveDone = r));
  }

  send(body: Uint8Array): void {
    if (this.#localEnded || this.#finished) return;
    this.#out.send(body);
  }

  end(): void {
    if (this.#localEnded || this.#finished) return;
    this.#localEnded = true;
    this.#out.end();
    this.#maybeFinish();
  }

  fail(err: MicroError): void {
    if (this.#finished) return;
    this.#localEnded = true;
    this.#out.fail(err);
    this.#finish(err);
  }

  /** A message arrived from the peer. */
  deliver(body: Uint8Array): void {
    if (this.#remoteEnded || this.#finished || this.#discard) return;
    const w = this.#waiting;
    if (w) {
      this.#waiting = undefined;
      w.resolve({ value: body, done: false });
      return;
    }
    const b = this.#budget;
    if (b) {
      const n = body.length + MESSAGE_COST;
      // One message is always taken, however large: the frame limit bounds it.
      if (this.#queue.length > 0 && (this.#queued + n > b.perStream || b.used + n > b.total)) {
        const mine = this.#queued + n > b.perStream;
        const err = this.#out.overflow?.(
          mine ? this.#queued : b.used,
          mine ? b.perStream : b.total,
          !mine,
        );
        if (err) {
          this.#queue = []; // the handler reads the error next, not what it left unread
          this.fail(err);
          return;
        }
      }
      this.#queued += n;
      b.used += n;
    }
    this.#queue.push(body);
  }

  /** The peer will send no more. */
  remoteEnd(): void {
    if (this.#remoteEnded || this.#finished) return;
    this.#remoteEnded = true;
    this.#wakeEnded();
    this.#maybeFinish();
  }

  /** The peer failed the stream, or the connection broke. */
  remoteFail(err: MicroError): void {
    if (this.#finished) return;
    this.#finish(err);
  }

  /** True once the stream ended or failed on both sides. */
  get finished(): boolean {
    return this.#finished;
  }

  #wakeEnded(): void {
    const w = this.#waiting;
    if (!w) return;
    this.#waiting = undefined;
    if (this.#error) w.reject(this.#error);
    else w.resolve({ value: undefined, done: true });
  }

  #maybeFinish(): void {
    if (this.#localEnded && this.#remoteEnded) this.#finish(undefined);
  }

  #finish(err: MicroError | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#remoteEnded = true;
    this.#localEnded = true;
    this.#error = err;
    this.#unbudget();
    this.#wakeEnded();
    this.#out.release();
    this.#resolveDone();
  }

  /** Gives back to the connection's budget what the queue held; the queue stays readable. */
  #unbudget(): void {
    const b = this.#budget;
    if (!b) return;
    b.used -= this.#queued;
    this.#queued = 0;
    this.#budget = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => {
        const item = this.#queue.shift();
        if (item !== undefined) {
          const b = this.#budget;
          if (b) {
            const n = item.length + MESSAGE_COST;
            this.#queued -= n;
            b.used -= n;
          }
          return Promise.resolve({ value: item, done: false });
        }
        if (this.#error) return Promise.reject(this.#error);
        if (this.#remoteEnded) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
      },
      return: () => {
        this.#queue = [];
        this.#discard = true;
        this.#unbudget();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
