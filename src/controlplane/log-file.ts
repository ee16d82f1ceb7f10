// A supervised service's log: one file of timestamped lines, a separator line at the start of each
// run, read from the start, from a time on, or its last lines read from the end.
import { createReadStream, closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';

/** One line of a log and when it was written (undefined for lines of logs older than timestamps). */
export interface LogLine {
  time: number | undefined;
  text: string;
}

/** Which part of a log to read. */
export interface LogRange {
  /** Only the last this many lines. */
  tail?: number;
  /** Only lines written at or after this time (ms since the epoch). */
  since?: number;
}

// Each line is written as `<ISO time> <text>`.
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /;
/** A line longer than this is cut into several, so a service printing no newline cannot fill memory. */
const MAX_LINE = 64 * 1024;
const BLOCK = 64 * 1024;

/** Splits a stored line into its time and text. */
export function parseLine(stored: string): LogLine {
  const line = stored.endsWith('\r') ? stored.slice(0, -1) : stored;
  const m = STAMP.exec(line);
  if (!m?.[1]) return { time: undefined, text: line };
  return { time: Date.parse(m[1]), text: line.slice(m[0].length) };
}

/** The line that opens a run in the log. */
export function separator(started: number, pid: number | undefined): string {
  return `--- run started ${new Date(started).toISOString()}, pid ${pid ?? '?'} ---`;
}

/**
 * Appends whole lines to a log file, synchronously, so that the file always holds every line
 * already announced: a reader that notes the file's size and listens in the same tick misses none
 * and sees none twice.
 */
export class LogWriter {
  readonly #fd: number;
  readonly #partial = new Map<string, string>();
  readonly #decoders = new Map<string, StringDecoder>();
  readonly #onLine: (line: LogLine, stream?: string) => void;

  /** Appends to path; onLine is told of each line written, with the stream it came from (none for micro's own). */
  constructor(path: string, onLine: (line: LogLine, stream?: string) => void) {
    this.#fd = openSync(path, 'a');
    this.#onLine = onLine;
  }

  /** Writes one complete line of text (printed on `stream`, when it is a child's output). */
  line(text: string, stream?: string): void {
    const time = Date.now();
    writeSync(this.#fd, `${new Date(time).toISOString()} ${text}\n`);
    this.#onLine({ time, text }, stream);
  }

  /** Takes a chunk of a stream's output; lines are written once complete. */
  chunk(stream: string, data: Buffer): void {
    let decoder = this.#decoders.get(stream);
    if (!decoder) this.#decoders.set(stream, (decoder = new StringDecoder('utf8')));
    // The decoder keeps a character cut between two chunks until its last bytes come.
    const parts = ((this.#partial.get(stream) ?? '') + decoder.write(data)).split('\n');
    let rest = parts.pop() ?? '';
    for (const p of parts) this.line(p.endsWith('\r') ? p.slice(0, -1) : p, stream);
    while (rest.length > MAX_LINE) {
      this.line(rest.slice(0, MAX_LINE), stream);
      rest = rest.slice(MAX_LINE);
    }
    this.#partial.set(stream, rest);
  }

  /** Writes what a stream left without a final newline (when its process ended). */
  flush(): void {
    for (const [stream, rest] of this.#partial) {
      const text = rest + (this.#decoders.get(stream)?.end() ?? '');
      if (text !== '') this.line(text, stream);
    }
    this.#partial.clear();
    this.#decoders.clear();
  }

  /** The file's size now. */
  size(): number {
    return fstatSync(this.#fd).size;
  }

  /** Writes what is left and closes the file. */
  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

/** Lines of the file before byte `end`, newest first, with the offset each starts at. */
async function* backwards(path: string, end: number): AsyncGenerator<{ line: string; at: number }> {
  const fh = await open(path, 'r');
  try {
    let pos = end;
    let carry = Buffer.alloc(0);
    while (pos > 0) {
      const size = Math.min(BLOCK, pos);
      pos -= size;
      const block = Buffer.alloc(size);
      await fh.read(block, 0, size, pos);
      const data = carry.length > 0 ? Buffer.concat([block, carry]) : block;
      let stop = data.length;
      for (let i = data.lastIndexOf(10, stop - 1); i !== -1; i = data.lastIndexOf(10, stop - 1)) {
        if (i + 1 < stop) yield { line: data.toString('utf8', i + 1, stop), at: pos + i + 1 };
        stop = i;
        if (stop === 0) break;
      }
      carry = data.subarray(0, stop);
      if (carry.length > MAX_LINE * 4) {
        // A line longer than any this writer makes (a foreign file): give what was read of it.
        yield { line: carry.toString('utf8'), at: pos };
        carry = Buffer.alloc(0);
      }
    }
    if (carry.length > 0) yield { line: carry.toString('utf8'), at: 0 };
  } finally {
    await fh.close();
  }
}

/** Lines from byte `start` to `end`, oldest first, read as a stream. */
async function* forwards(path: string, start: number, end: number): AsyncGenerator<string> {
  if (end <= start) return;
  const input = createReadStream(path, { start, end: end - 1 });
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) yield line;
  } finally {
    input.destroy();
  }
}

const before = (line: LogLine, since: number | undefined): boolean =>
  since !== undefined && (line.time === undefined || line.time < since);

/**
 * The lines of the log up to byte `end` that the range asks for, oldest first. The last lines and
 * the start of a time range are found reading from the end, so a large log is never held whole.
 */
export async function* readLog(
  path: string,
  end: number,
  range: LogRange = {},
): AsyncGenerator<LogLine> {
  const { tail, since } = range;
  if (tail !== undefined) {
    const lines: LogLine[] = [];
    if (tail > 0) {
      for await (const { line } of backwards(path, end)) {
        const parsed = parseLine(line);
        if (before(parsed, since)) break;
        lines.push(parsed);
        if (lines.length >= tail) break;
      }
    }
    yield* lines.reverse();
    return;
  }
  let start = 0;
  if (since !== undefined) {
    start = end;
    for await (const { line, at } of backwards(path, end)) {
      if (before(parseLine(line), since)) break;
      start = at;
    }
  }
  for await (const line of forwards(path, start, end)) {
    if (line === '') continue;
    yield parseLine(line);
  }
}

/**
 * readLog, then the lines `listen` hands on until the signal aborts. listen is called before
 * anything is read and returns how to stop listening: with `end` noted in the same tick, no line
 * is missed or seen twice.
 */
export async function* followLog(
  path: string,
  end: number,
  range: LogRange,
  listen: (on: (line: LogLine) => void) => () => void,
  signal?: AbortSignal,
): AsyncGenerator<LogLine> {
  const queue: LogLine[] = [];
  let wake: (() => void) | undefined;
  const stop = listen((line) => {
    queue.push(line);
    wake?.();
  });
  try {
    yield* readLog(path, end, range);
    signal?.addEventListener('abort', () => wake?.());
    while (!signal?.aborted) {
      const line = queue.shift();
      if (line !== undefined) yield line;
      else await new Promise<void>((r) => (wake = r));
    }
  } finally {
    stop();
  }
}
