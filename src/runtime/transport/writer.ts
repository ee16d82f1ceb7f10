/** Writing frames to a socket, batched per event-loop turn. */
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
  readonly #full: number;
  readonly #onFull: (() => void) | undefined;

  /** onFull is called when a write leaves more than `full` bytes that the peer has not taken. */
  constructor(socket: Socket, full = Number.POSITIVE_INFINITY, onFull?: () => void) {
    this.#socket = socket;
    this.#full = full;
    this.#onFull = onFull;
  }

  /** Bytes written or queued that the peer has not read yet (those in the kernel's buffers aside). */
  get backlog(): number {
    return this.#socket.writableLength + this.#size;
  }

  /** Queues a frame; what is queued goes out together at the end of the turn, or at once past 4 KiB. */
  write(frame: Buffer): void {
    // Nothing is kept for a socket that is gone: handlers may write after it closed.
    if (this.#socket.destroyed) return;
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
    if (q.length === 0) return;
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) {
      this.#queue = [];
      this.#size = 0;
      return;
    }
    const out = q.length === 1 ? (q[0] as Buffer) : Buffer.concat(q, this.#size);
    this.#queue = [];
    this.#size = 0;
    if (!socket.write(out) && socket.writableLength > this.#full) this.#onFull?.();
  }
}
