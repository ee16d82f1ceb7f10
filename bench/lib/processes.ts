// Child processes for benchmarks: spawned with this Node, tracked by PID, always ended by PID.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** A spawned child with an IPC channel. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves with the next IPC message that satisfies accept, or rejects after ms or when the child exits. */
  message<T>(accept: (m: unknown) => m is T, ms: number): Promise<T>;
  /** Resolves with pick's value for the first stdout line it accepts; other lines go to stderr. */
  line<T>(pick: (line: string) => T | undefined, ms: number): Promise<T>;
  send(message: unknown): void;
}

/** How exec() runs a command. */
export interface ExecOptions {
  /** Variables added to this process's environment; a value of undefined removes one. */
  env?: Record<string, string | undefined>;
  /** Show stdout lines that no line() call picks on stderr, prefixed with the name (default true). */
  echo?: boolean;
  /**
   * `inherit` (default): stderr is this process's. `tail`: its last lines are kept and shown only
   * in the error of a wait that fails (the child exited or said nothing in time).
   */
  stderr?: 'inherit' | 'tail';
  /** The folder it runs in (default: this process's). */
  cwd?: string;
}

/** Spawns and ends the children of one benchmark; stopAll ends exactly the PIDs it spawned. */
export class Children {
  readonly #live = new Map<number, Child>();

  /** Runs `node script ...args` with stdout piped, stderr inherited and an IPC channel. */
  spawn(name: string, script: string, args: string[], env: Record<string, string> = {}): Child {
    return this.#start(
      name,
      process.execPath,
      [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), script, ...args],
      { env, echo: true },
      true,
    );
  }

  /**
   * Runs any command with stdout piped and stderr inherited, without an IPC channel: the way a
   * user starts a program. stop() and stopAll() end it with SIGTERM.
   */
  exec(name: string, command: string, args: string[], options: ExecOptions = {}): Child {
    return this.#start(name, command, args, options, false);
  }

  #start(name: string, command: string, args: string[], o: ExecOptions, ipc: boolean): Child {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(o.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const stderr = o.stderr === 'tail' ? 'pipe' : 'inherit';
    const cp = spawn(command, args, {
      stdio: ipc ? ['ignore', 'pipe', stderr, 'ipc'] : ['ignore', 'pipe', stderr],
      env,
      cwd: o.cwd,
    });
    if (cp.pid === undefined) throw new Error(`could not start ${name}`);
    const pid = cp.pid;
    let exited: string | undefined;
    const onExit: (() => void)[] = [];
    cp.on('exit', (code, signal) => {
      exited = `${name} (pid ${pid}) exited with ${signal ?? code ?? '?'}`;
      this.#live.delete(pid);
      for (const f of onExit.splice(0)) f();
    });
    cp.on('error', () => undefined);
    const tail: string[] = [];
    if (cp.stderr)
      createInterface({ input: cp.stderr }).on('line', (line) => {
        if (tail.push(line) > 20) tail.shift();
      });
    const said = (): string => (tail.length > 0 ? `; its stderr ended:\n${tail.join('\n')}` : '');
    const lines = createInterface({ input: cp.stdout as NodeJS.ReadableStream });
    // A line nobody picks (e.g. from --trace-gc in BENCH_NODE_ARGS) is shown on stderr.
    let picker: ((line: string) => boolean) | undefined;
    lines.on('line', (line) => {
      if (!picker?.(line) && o.echo !== false) process.stderr.write(`[${name}] ${line}\n`);
    });

    const bounded = <T>(
      ms: number,
      what: string,
      start: (done: (v: T) => void) => () => void,
    ): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (exited) return reject(new Error(`${exited} before ${what}${said()}`));
        let cleanup = (): void => undefined;
        const timer = setTimeout(
          () => finish(new Error(`${name} (pid ${pid}): no ${what} within ${ms} ms${said()}`)),
          ms,
        );
        const gone = (): void => finish(new Error(`${exited ?? name} before ${what}${said()}`));
        const finish = (err: Error | undefined, value?: T): void => {
          clearTimeout(timer);
          cleanup();
          const i = onExit.indexOf(gone);
          if (i >= 0) onExit.splice(i, 1);
          if (err) reject(err);
          else resolve(value as T);
        };
        onExit.push(gone);
        cleanup = start((v) => finish(undefined, v));
      });

    const child: Child = {
      name,
      pid,
      process: cp,
      message: <T>(accept: (m: unknown) => m is T, ms: number) =>
        bounded<T>(ms, 'answer', (done) => {
          const on = (m: unknown): void => {
            if (accept(m)) done(m);
          };
          cp.on('message', on);
          return () => cp.off('message', on);
        }),
      line: <T>(pick: (line: string) => T | undefined, ms: number) =>
        bounded<T>(ms, 'output', (done) => {
          picker = (line) => {
            const value = pick(line);
            if (value === undefined) return false;
            done(value);
            return true;
          };
          return () => (picker = undefined);
        }),
      send: (message) => {
        if (cp.connected) cp.send(message as object);
      },
    };
    this.#live.set(pid, child);
    return child;
  }

  /** Asks every live child to stop, then kills by PID those still running after graceMs. */
  async stopAll(graceMs = 3000): Promise<void> {
    await Promise.all([...this.#live.values()].map((c) => this.stop(c, graceMs)));
  }

  /**
   * Asks one child to stop (a stop message, or SIGTERM when it has no IPC channel), then kills it
   * by PID if it is still running after graceMs. Resolves once it has exited.
   */
  stop(c: Child, graceMs = 3000): Promise<void> {
    return new Promise<void>((resolve) => {
      if (c.process.exitCode !== null || c.process.signalCode !== null) return resolve();
      const timer = setTimeout(() => {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, graceMs);
      c.process.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      c.send({ type: 'stop' });
      if (!c.process.connected) {
        try {
          process.kill(c.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    });
  }
}

/** What to stop when the parent is asked to end, the latest first. */
const interruptStops: (() => Promise<void>)[] = [];

function interrupted(signal: NodeJS.Signals): void {
  process.stderr.write(`\n${signal}: stopping the benchmark's child processes\n`);
  void (async () => {
    for (const stop of [...interruptStops].reverse()) await stop().catch(() => undefined);
  })().finally(() => process.exit(130));
}

/**
 * Calls stop when the parent is asked to end (Ctrl-C, SIGTERM), then exits; stops registered later
 * (children started inside others' lifetime) run first. Returns the undo.
 */
export function onInterrupt(stop: () => Promise<void>): () => void {
  interruptStops.push(stop);
  if (interruptStops.length === 1) {
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
  }
  return () => {
    const i = interruptStops.indexOf(stop);
    if (i >= 0) interruptStops.splice(i, 1);
    if (interruptStops.length > 0) return;
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  };
}

/**
 * Runs fn with a set of children that are all stopped (graceMs each) when it settles or the parent
 * is interrupted; resolves with fn's value.
 */
export async function withChildren<T>(
  fn: (children: Children) => Promise<T>,
  graceMs?: number,
): Promise<T> {
  const children = new Children();
  const offInterrupt = onInterrupt(() => children.stopAll(graceMs));
  try {
    return await fn(children);
  } finally {
    offInterrupt();
    await children.stopAll(graceMs);
  }
}

/** CPU time of a process in microseconds, user plus system, from /proc/<pid>/stat. */
export function procCpuMicros(pid: number, clockTicks: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime is 14th, stime 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
}

/** The kernel's clock ticks per second, the unit of /proc/<pid>/stat times. */
export function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** One finished run of a short command. */
export interface TimedRun {
  /** Wall time from just before spawn until the process exited. */
  ms: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion (killed by PID after timeoutMs) and times it, from just before
 * spawn until its exit. Its CPU time is added to this process's children time (see childCpuMicros).
 */
export function timeCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const t0 = performance.now();
    const cp = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let ms = Number.NaN;
    const timer = setTimeout(() => {
      if (cp.pid !== undefined) {
        try {
          process.kill(cp.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
    cp.stdout.on('data', (b: Buffer) => out.push(b));
    cp.stderr.on('data', (b: Buffer) => err.push(b));
    cp.on('exit', () => (ms = performance.now() - t0));
    cp.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    cp.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        ms,
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/**
 * CPU time, user plus system, of this process's children that have exited and been reaped, in
 * microseconds (cutime and cstime of /proc/self/stat). The difference across one run of a short
 * command is that command's CPU time, at the clock tick's resolution (10 ms): sum many runs.
 */
export function childCpuMicros(clockTicks: number): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1e6) / clockTicks;
}

/** A size field of /proc/<pid>/status (VmRSS, VmHWM, ...) in bytes; NaN when the process is gone. */
export function procStatusBytes(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** This environment without MICRO_* settings or NODE_OPTIONS, which would change what is measured. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('MICRO_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

/**
 * A counter of /proc/<pid>/io: `syscw` (write-like system calls, socket writes included), `syscr`,
 * `wchar`, ...; NaN when it cannot be read.
 */
export function procIoCount(pid: number, field: string): number {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)$`, 'm').exec(io);
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
