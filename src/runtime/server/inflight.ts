// What a server has in flight (unary calls and open streams), and the drain stop() waits for.
import type { RequestContext } from '../context.ts';
import { timerDelay } from '../deadline.ts';
import type { MicroError } from '../errors.ts';
import type { Pipe } from '../transport/transport.ts';

interface OpenStream {
  ctx: RequestContext;
  pipe: Pipe;
  /** Settles when the handler is done or the stream closed, whichever comes first. */
  settled: Promise<void>;
  /** A drain ended it, not its caller. */
  drained: boolean;
}

/** An open stream as its server sees it. */
export interface OpenStreamHandle {
  /** Call when its handler is done. */
  close(): void;
  /** True once a drain has ended it (its pipe then fails with the drain's error). */
  readonly drained: boolean;
}

/** How long a drain lets what is in flight finish, in ms. */
export interface DrainTimeouts {
  /** Unary calls in flight. */
  calls: number;
  /** Open streams; those still open after it are ended with the drain's error. */
  streams: number;
}

/** Counts unary calls and keeps the open streams, so that a drain can wait for them. */
export class InFlight {
  #calls = 0;
  #idle: (() => void) | undefined;
  readonly #streams = new Set<OpenStream>();

  /** A unary call began. */
  callStarted(): void {
    this.#calls++;
  }

  /** A unary call ended; its reply is written after this returns, so a drain waits a tick more. */
  callEnded(): void {
    if (--this.#calls === 0 && this.#idle) setImmediate(this.#idle);
  }

  /** A stream opened; returns its handle, to close when its handler is done. */
  streamOpened(ctx: RequestContext, pipe: Pipe): OpenStreamHandle {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const entry: OpenStream = {
      ctx,
      pipe,
      settled: Promise.race([finished, pipe.done]),
      drained: false,
    };
    this.#streams.add(entry);
    return {
      close: () => {
        this.#streams.delete(entry);
        // Its last message is written after this returns: let it go out before the listener closes.
        setImmediate(finish);
      },
      get drained() {
        return entry.drained;
      },
    };
  }

  /**
   * Resolves once the unary calls in flight are done (or after `ms.calls`) and the open streams are
   * done (or after `ms.streams`, when those still open are ended with `bye`). New calls and streams
   * must be refused meanwhile: the caller does that.
   */
  async drain(ms: DrainTimeouts, bye: MicroError): Promise<void> {
    await Promise.all([this.#drainCalls(ms.calls), this.#drainStreams(ms.streams, bye)]);
  }

  async #drainCalls(ms: number): Promise<void> {
    if (this.#calls === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#idle = resolve;
      timer = setTimeout(resolve, timerDelay(ms));
    });
    clearTimeout(timer);
  }

  async #drainStreams(ms: number, bye: MicroError): Promise<void> {
    if (this.#streams.size === 0) return;
    if (ms > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...this.#streams].map((s) => s.settled)),
        new Promise((resolve) => (timer = setTimeout(resolve, timerDelay(ms)))),
      ]);
      clearTimeout(timer);
    }
    for (const entry of this.#streams) {
      entry.drained = true;
      entry.ctx.cancel(bye);
      entry.pipe.fail(bye);
    }
  }
}
