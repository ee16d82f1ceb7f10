import type { Socket } from 'node:net';

/** Queued bytes that go out at once rather than at the end of the tick, so the peer can start on them. */
const FLUSH_AT = 4096;

/** Batches frames written in one tick into one socket write, writing early once 4 KiB are queued. */
export class BatchWriter {
  readonly #socket: Socket;
  #queue: Buffer[] = [];
  #size = 0;
  #scheduled = false;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Queues a frame; what is queued goes out together at the end of the tick, or at once past 4 KiB. */
  write(frame: Buffer): void {
    this.#queue.push(frame);
    this.#size += frame.length;
    // Without the early write, a busy tick's whole output waits for its end while the peer sits idle.
    if (this.#size >= FLUSH_AT) this.#drain();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    this.#drain();
  };

  #drain(): void {
    const q = this.#queue;
    if (q.length === 0 || this.#socket.destroyed) return;
    const out = q.length === 1 ? (q[0] as Buffer) : Buffer.concat(q, this.#size);
    this.#queue = [];
    this.#size = 0;
    this.#socket.write(out);
  }
}
