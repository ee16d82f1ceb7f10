// The supervisor's collection of its services' output into the control plane's logs (in
// process): every line a supervised child prints becomes a LogRecord (pino's JSON parsed; any
// other line kept as text, info from stdout and error from stderr), written in batches of up to
// 1,000 a few times a second. Bounded: at most 10,000 lines wait; beyond that, and when a write
// fails, lines are dropped and counted, never blocking the child's output nor the log file.
import type { Logs } from '../platform/logs/logs.ts';
import { recordOfLine } from '../platform/logs/record.ts';
import type { LogRecord } from '../platform/logs/logs.ts';

const MAX_QUEUE = 10_000;
const BATCH = 1000;
const WAIT = 100;

/** Collects output lines of supervised services into a Logs. */
export class LineCollector {
  readonly #logs: Pick<Logs, 'write'>;
  #queue: LogRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<void> | undefined;
  /** Lines dropped so far (queue full or write failed). */
  dropped = 0;

  constructor(logs: Pick<Logs, 'write'>) {
    this.#logs = logs;
  }

  /** Takes one line `service` printed on `stream` at `time`. */
  line(service: string, stream: 'stdout' | 'stderr', text: string, time: number): void {
    if (text === '') return;
    if (this.#queue.length >= MAX_QUEUE) {
      this.dropped++;
      return;
    }
    this.#queue.push(
      recordOfLine(text, { service, level: stream === 'stderr' ? 'error' : 'info', time }),
    );
    if (this.#queue.length >= BATCH) void this.flush();
    else this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => void this.flush(), WAIT);
    this.#timer.unref();
  }

  /** Writes what is waiting; resolves once written (or dropped). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return (this.#busy ??= (async () => {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, BATCH);
        try {
          await this.#logs.write(batch);
        } catch {
          this.dropped += batch.length;
        }
      }
    })().finally(() => (this.#busy = undefined)));
  }
}
