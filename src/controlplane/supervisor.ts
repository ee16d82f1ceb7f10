import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { printable } from '../registry/printable.ts';
import { DEFAULT_LIMITS, NAME } from '../registry/validate.ts';

/** What the supervisor knows about one service it runs. */
export interface ProcessInfo {
  name: string;
  path: string;
  pid: number | undefined;
  status: 'running' | 'restarting' | 'stopped';
  restarts: number;
  started: number;
  lastExit: string | undefined;
}

/** Options of the supervisor. */
export interface SupervisorOptions {
  /** Logs go to <dataDir>/logs/<name>.log. */
  dataDir: string;
  /** How to start `micro __exec <file>`. */
  self: { command: string; args: string[] };
  /** Environment for the services (registry address and so on). */
  env: NodeJS.ProcessEnv;
}

interface Entry {
  info: ProcessInfo;
  child: ChildProcess | undefined;
  log: WriteStream;
  timer: NodeJS.Timeout | undefined;
  stopping: boolean;
  env: Record<string, string>;
}

const MAX_BACKOFF = 30_000;

/**
 * Throws a TypeError (a 400 in the runtime service) unless the name is one a service may have: the
 * registry's rule (letters, digits, ., - and _; not starting with . or -), so that it is also a
 * file name that stays in the logs folder.
 */
export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '')
    throw new TypeError('name must be a non-empty string');
  if (name.length > DEFAULT_LIMITS.nameLength)
    throw new TypeError(
      `name is ${name.length} characters long; the limit is ${DEFAULT_LIMITS.nameLength}`,
    );
  if (!NAME.test(name))
    throw new TypeError(
      `"${printable(name.slice(0, 40), false)}" is not a valid name: use letters, digits, ., - and _ (not starting with . or -)`,
    );
}

/** Runs services as child processes, restarting them with backoff when they crash, and keeps their logs. */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #lines = new EventEmitter();

  constructor(options: SupervisorOptions) {
    this.#o = options;
    mkdirSync(join(options.dataDir, 'logs'), { recursive: true });
    this.#lines.setMaxListeners(0);
  }

  /** Starts a service under supervision; a name already running is an error. */
  create(name: string, path: string, env: Record<string, string> = {}): ProcessInfo {
    checkName(name);
    const existing = this.#entries.get(name);
    if (existing && existing.info.status !== 'stopped')
      throw new Error(
        `${name} is already running (pid ${existing.info.pid ?? '?'}); micro kill ${name} first`,
      );
    const log = createWriteStream(this.logPath(name), { flags: 'a' });
    const entry: Entry = {
      info: {
        name,
        path,
        pid: undefined,
        status: 'running',
        restarts: 0,
        started: Date.now(),
        lastExit: undefined,
      },
      child: undefined,
      log,
      timer: undefined,
      stopping: false,
      env,
    };
    this.#entries.set(name, entry);
    this.#spawn(entry);
    return { ...entry.info };
  }

  /** Every supervised service. */
  list(): ProcessInfo[] {
    return [...this.#entries.values()].map((e) => ({ ...e.info }));
  }

  /** Stops a service (SIGTERM, then SIGKILL after 10 s) and stops supervising it. */
  async kill(name: string): Promise<ProcessInfo> {
    checkName(name);
    const entry = this.#entries.get(name);
    if (!entry)
      throw new RangeError(`no supervised service is called ${name}; micro ps lists them`);
    entry.stopping = true;
    clearTimeout(entry.timer);
    const child = entry.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(force);
    }
    entry.info.status = 'stopped';
    entry.info.pid = undefined;
    this.#entries.delete(name);
    entry.log.end();
    return { ...entry.info };
  }

  /** Where a service's log is kept: in <dataDir>/logs, whatever the name (a TypeError otherwise). */
  logPath(name: string): string {
    checkName(name);
    const folder = resolve(this.#o.dataDir, 'logs');
    const file = resolve(folder, `${name}.log`);
    const inside = relative(folder, file);
    if (inside === '' || inside.startsWith('..') || inside.includes(sep))
      throw new TypeError(`the log of "${name}" would be outside ${folder}`);
    return file;
  }

  /** The log so far, and with follow the lines to come until the signal aborts. */
  async *logs(name: string, follow: boolean, signal?: AbortSignal): AsyncGenerator<string> {
    const path = this.logPath(name);
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      if (!this.#entries.has(name))
        throw new RangeError(`no logs for ${name}; micro ps lists the supervised services`);
    }
    for (const line of text.split('\n')) if (line !== '') yield line;
    if (!follow) return;
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    const on = (line: string): void => {
      queue.push(line);
      wake?.();
    };
    this.#lines.on(name, on);
    signal?.addEventListener('abort', () => wake?.());
    try {
      while (!signal?.aborted) {
        const line = queue.shift();
        if (line !== undefined) yield line;
        else await new Promise<void>((r) => (wake = r));
      }
    } finally {
      this.#lines.off(name, on);
    }
  }

  /** Stops every service: when the control plane shuts down. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#entries.keys()].map((n) => this.kill(n)));
  }

  #spawn(entry: Entry): void {
    const { command, args } = this.#o.self;
    const child = spawn(command, [...args, '__exec', entry.info.path], {
      env: { ...this.#o.env, ...entry.env, MICRO_SERVICE_NAME: entry.info.name },
      // The IPC channel closes if micro dies, and the service then stops itself.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    entry.child = child;
    entry.info.pid = child.pid;
    entry.info.status = 'running';
    entry.info.started = Date.now();
    const write = (chunk: Buffer): void => {
      entry.log.write(chunk);
      for (const line of chunk.toString('utf8').split('\n'))
        if (line !== '') this.#lines.emit(entry.info.name, line);
    };
    child.stdout?.on('data', write);
    child.stderr?.on('data', write);
    child.on('error', (err) =>
      entry.log.write(`micro: cannot start ${entry.info.path}: ${err.message}\n`),
    );
    child.on('exit', (code, signal) => {
      entry.child = undefined;
      entry.info.pid = undefined;
      entry.info.lastExit = signal ? `killed by ${signal}` : `exit code ${code ?? '?'}`;
      if (entry.stopping) return;
      // Crashed: restart with exponential backoff, reset once it has stayed up for a minute.
      const uptime = Date.now() - entry.info.started;
      if (uptime > 60_000) entry.info.restarts = 0;
      const delay = Math.min(100 * 2 ** entry.info.restarts, MAX_BACKOFF);
      entry.info.restarts++;
      entry.info.status = 'restarting';
      const line = `micro: ${entry.info.name} ${entry.info.lastExit}; restarting in ${delay} ms`;
      entry.log.write(`${line}\n`);
      this.#lines.emit(entry.info.name, line);
      entry.timer = setTimeout(() => this.#spawn(entry), delay);
    });
  }
}
