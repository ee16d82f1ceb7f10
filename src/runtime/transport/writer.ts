import type { Socket } from 'node:net';

/** Queued bytes that go out at once rather than at the end of the turn, so the peer can start on them. */
const FLUSH_AT = 4096;

/**
 * Batches the frames written in one event-loop turn into one socket write, writing early once 4 KiB
 * are queued. The flush runs in setImmediate, after every I/O callback of the turn: a gateway that
 * serves many HTTP connections then sends one write for the calls of all of them, not one per call.
 */
export class BatchWriter {
  readonly #socket: Socket;
  #queue: Buffer[] = [];
  #size = 0;
  #scheduled = false;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Queues a frame; what is queued goes out together at the end of the turn, or at once past 4 KiB. */
  write(frame: Buffer): void {
    this.#queue.push(frame);
    this.#size += frame.length;
    // Without the early write, a busy turn's whole output waits for its end while the peer sits idle.
    if (this.#size >= FLUSH_AT) this.#drain();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Writes whatever is queued now: before the socket is ended. */
  flush(): void {
    this.#drain();
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
