import type { Socket } from 'node:net';

/** Batches frames written in one tick into one socket write. */
export class BatchWriter {
  readonly #socket: Socket;
  #queue: Buffer[] = [];
  #size = 0;
  #scheduled = false;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Queues a frame; everything queued in this tick goes out together. */
  write(frame: Buffer): void {
    this.#queue.push(frame);
    this.#size += frame.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const q = this.#queue;
    if (q.length === 0 || this.#socket.destroyed) return;
    const out = q.length === 1 ? (q[0] as Buffer) : Buffer.concat(q, this.#size);
    this.#queue = [];
    this.#size = 0;
    this.#socket.write(out);
  };
}
