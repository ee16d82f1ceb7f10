import type { MicroError } from '../errors.ts';
import type { Pipe } from './transport.ts';

/** How a pipe reaches its peer; each transport supplies one. */
export interface PipeOutlet {
  send(body: Uint8Array): void;
  end(): void;
  fail(err: MicroError): void;
  /** Called once when both sides are done or the stream failed. */
  release(): void;
}

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
  #resolveDone!: () => void;
  readonly done: Promise<void>;

  constructor(out: PipeOutlet) {
    this.#out = out;
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
    if (this.#remoteEnded || this.#finished) return;
    const w = this.#waiting;
    if (w) {
      this.#waiting = undefined;
      w.resolve({ value: body, done: false });
    } else this.#queue.push(body);
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
    this.#wakeEnded();
    this.#out.release();
    this.#resolveDone();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => {
        const item = this.#queue.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.#error) return Promise.reject(this.#error);
        if (this.#remoteEnded) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
      },
      return: () => {
        this.#queue = [];
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
