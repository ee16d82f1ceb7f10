import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Registry, Watcher, WatchEvent } from '../registry/registry.ts';
import type { Client } from '../runtime/client/client.ts';
import type { PlatformRuntimeEvent } from '../platform/events/platform.ts';
import { watchSources, type SourceWatch } from '../runner/watch.ts';
import { restartDelay, spawnRun, terminate } from './child.ts';
import { ServiceReload } from './reload.ts';
import {
  LogWriter,
  followLog,
  readLog,
  separator,
  type LogLine,
  type LogRange,
} from './log-file.ts';
import { LineCollector } from './collect.ts';
import type { Logs } from '../platform/logs/logs.ts';
import { checkName, logFileOf } from './names.ts';
import { deregisterLeft, nodesOfPid, registrationKey, type Registration } from './process-nodes.ts';
import { unrunnable, type RuntimeStore } from './runtime-store.ts';
import { withoutCredentials, type ServiceAccounts } from './service-accounts.ts';

/** What the supervisor knows about one service it runs. */
export interface ProcessInfo {
  name: string;
  path: string;
  pid: number | undefined;
  status: 'running' | 'restarting' | 'stopped';
  restarts: number;
  started: number;
  lastExit: string | undefined;
  /** The services the current run registered (seen in the registry with its pid). */
  registered: string[];
}

/** Options of the supervisor. */
export interface SupervisorOptions {
  /** Logs go to <dataDir>/logs/<name>.log. */
  dataDir: string;
  /** How to start `micro __exec <file>`. */
  self: { command: string; args: string[] };
  /** Environment for the services (registry address and so on). */
  env: NodeJS.ProcessEnv;
  /**
   * The registry the services register in: the supervisor watches it to see what each process
   * registered (nodes carry the pid), and deregisters a process's nodes as soon as it dies.
   */
  registry?: Registry;
  /** Where services are kept, to be started again by restore() after a restart. */
  store?: RuntimeStore;
  /** Calls Debug.Health on a reloaded service's new process before the old one stops. */
  client?: Client;
  /**
   * Issues a service's TLS certificate (micro run --tls) and returns the MICRO_TLS_* variables its
   * runs get; called once per create, before the first run (restarts and reloads reuse it).
   */
  tls?: (name: string) => Promise<Record<string, string>>;
  /** Told of each deployment, process start, exit, restart and stop (for `micro.runtime`); must not throw. */
  onChange?: (change: PlatformRuntimeEvent) => void;
  /** With auth on: each service runs as its own service account (src/controlplane/service-accounts.ts). */
  accounts?: ServiceAccounts;
  /** The control plane's logs: every line a service prints is kept there too (src/controlplane/collect.ts). */
  logs?: Pick<Logs, 'write'>;
}

/** How a service is run besides its name, path and environment. */
export interface CreateOptions {
  /** Start it again when a file in its folder changes, the new process serving before the old one stops. */
  watch?: boolean;
  /** Variables given to its processes only: never kept in the store nor shown (its account's secret). */
  credentials?: Record<string, string>;
}

/** How the wait for a service's start ended. */
export type Readiness = 'registered' | 'exited' | 'timeout' | 'stopped';

/** What restore() did with each kept service. */
export interface Restored {
  started: ProcessInfo[];
  /** Services forgotten because they can no longer be started, with why. */
  forgotten: { name: string; path: string; reason: string }[];
}

interface Entry {
  info: ProcessInfo;
  child: ChildProcess | undefined;
  log: LogWriter;
  timer: NodeJS.Timeout | undefined;
  stopping: boolean;
  env: Record<string, string>;
  credentials: Record<string, string>;
  /** Nodes the current run registered, by service, version and node id. */
  nodes: Map<string, Registration>;
  /** Deregistration of the last run's nodes, under way after it died. */
  cleanup: Promise<void>;
  waiters: ((r: Readiness) => void)[];
  /** The watch of its folder and its reloads, when it reloads on changes. */
  watch: SourceWatch | undefined;
  reload: ServiceReload | undefined;
  /** Processes started for it so far: the first is a start, the next ones restarts. */
  runs: number;
}

/**
 * Runs services as child processes, restarting them with backoff when they crash, keeps their logs,
 * and removes a dead process's nodes from the registry at once instead of leaving them to expire.
 */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #lines = new EventEmitter();
  readonly #watcher: Watcher | undefined;
  readonly #collector: LineCollector | undefined;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#collector = options.logs && new LineCollector(options.logs);
    mkdirSync(join(options.dataDir, 'logs'), { recursive: true });
    this.#lines.setMaxListeners(0);
    const watcher = options.registry?.watch();
    this.#watcher = watcher;
    if (watcher)
      void (async () => {
        for await (const event of watcher) this.#seen(event);
      })().catch(() => undefined);
  }

  /**
   * Starts a service under supervision as create() does, with auth on as its own service account
   * (a fresh secret for this supervision; see src/controlplane/service-accounts.ts).
   */
  async start(
    name: string,
    path: string,
    env: Record<string, string> = {},
    options: CreateOptions = {},
  ): Promise<ProcessInfo> {
    checkName(name);
    this.#refuseRunning(name);
    const credentials = await this.#o.accounts?.credentials(name);
    return this.create(name, path, env, { ...options, ...(credentials && { credentials }) });
  }

  #refuseRunning(name: string): void {
    const existing = this.#entries.get(name);
    if (existing && existing.info.status !== 'stopped')
      throw new Error(
        `${name} is already running (pid ${existing.info.pid ?? '?'}); micro kill ${name} first`,
      );
  }

  /** Starts a service under supervision (and keeps it in the store); a name already running is an error. */
  create(
    name: string,
    path: string,
    env: Record<string, string> = {},
    options: CreateOptions = {},
  ): ProcessInfo {
    checkName(name);
    this.#refuseRunning(name);
    const entry: Entry = {
      info: {
        name,
        path,
        pid: undefined,
        status: 'running',
        restarts: 0,
        started: Date.now(),
        lastExit: undefined,
        registered: [],
      },
      child: undefined,
      log: new LogWriter(this.logPath(name), (line, stream) => {
        this.#lines.emit(name, line);
        if (stream === 'stdout' || stream === 'stderr')
          this.#collector?.line(name, stream, line.text, line.time ?? Date.now());
      }),
      timer: undefined,
      stopping: false,
      env,
      credentials: options.credentials ?? {},
      nodes: new Map(),
      cleanup: Promise.resolve(),
      waiters: [],
      watch: undefined,
      reload: undefined,
      runs: 0,
    };
    this.#entries.set(name, entry);
    this.#o.store?.save({ name, path, env, watch: options.watch === true });
    this.#tell({ action: 'deploy', name, summary: `${name} deployed from ${path}` });
    if (this.#o.tls) this.#spawnWithTls(entry, this.#o.tls);
    else this.#spawn(entry);
    if (options.watch && this.#o.registry && this.#o.client) {
      const reload = this.#reloadOf(entry, this.#o.registry, this.#o.client);
      entry.reload = reload;
      entry.watch = watchSources(dirname(path), (files) => reload.request(files), {
        ignore: [this.#o.dataDir],
      });
    }
    return this.#info(entry);
  }

  /**
   * Starts again the services the store keeps; one whose file is gone (or that cannot start) is
   * forgotten and reported.
   */
  async restore(): Promise<Restored> {
    const done: Restored = { started: [], forgotten: [] };
    for (const kept of this.#o.store?.list() ?? []) {
      let reason = unrunnable(kept.path);
      if (reason === undefined) {
        try {
          done.started.push(
            await this.start(kept.name, kept.path, kept.env, { watch: kept.watch === true }),
          );
          continue;
        } catch (err) {
          reason = (err as Error).message;
        }
      }
      this.#o.store?.forget(kept.name);
      done.forgotten.push({ name: kept.name, path: kept.path, reason });
    }
    return done;
  }

  /** Every supervised service. */
  list(): ProcessInfo[] {
    return [...this.#entries.values()].map((e) => this.#info(e));
  }

  /**
   * Resolves once the service's current run has registered, or has exited, or after ms: what a
   * caller waits for before saying the service is running.
   */
  ready(name: string, ms: number): Promise<Readiness> {
    const entry = this.#entries.get(name);
    if (!entry) return Promise.resolve('stopped');
    if (entry.nodes.size > 0) return Promise.resolve('registered');
    if (entry.info.status !== 'running') return Promise.resolve('exited');
    return new Promise((resolve) => {
      // The watch may have missed it (an engine's watch that broke): the registry itself decides.
      const timer = setTimeout(
        () => void this.#lookup(entry).then((found) => done(found ? 'registered' : 'timeout')),
        ms,
      );
      const done = (r: Readiness): void => {
        clearTimeout(timer);
        entry.waiters = entry.waiters.filter((w) => w !== done);
        resolve(r);
      };
      entry.waiters.push(done);
    });
  }

  /** Stops a service (SIGTERM, then SIGKILL after 10 s), stops supervising it and forgets it. */
  async kill(name: string): Promise<ProcessInfo> {
    checkName(name);
    const info = await this.#stop(name);
    this.#o.store?.forget(name);
    return info;
  }

  /** Where a service's log is kept: in <dataDir>/logs, whatever the name (a TypeError otherwise). */
  logPath(name: string): string {
    return logFileOf(this.#o.dataDir, name);
  }

  /**
   * The log so far (or the part the range asks for), then with follow the lines to come until the
   * signal aborts. Each run starts with a separator line naming its start time and pid.
   */
  async *logs(
    name: string,
    options: LogRange & { follow?: boolean } = {},
    signal?: AbortSignal,
  ): AsyncGenerator<LogLine> {
    const path = this.logPath(name);
    const entry = this.#entries.get(name);
    // The size and the listener in one tick: lines are written before they are announced.
    let end: number;
    try {
      end = entry ? entry.log.size() : statSync(path).size;
    } catch {
      throw new RangeError(`no logs for ${name}; micro ps lists the supervised services`);
    }
    if (!options.follow) {
      yield* readLog(path, end, options);
      return;
    }
    const listen = (on: (line: LogLine) => void): (() => void) => {
      this.#lines.on(name, on);
      return () => this.#lines.off(name, on);
    };
    yield* followLog(path, end, options, listen, signal);
  }

  /** Stops every service when the control plane shuts down; the store still keeps them. */
  async stopAll(): Promise<void> {
    this.#watcher?.stop();
    await Promise.all([...this.#entries.keys()].map((n) => this.#stop(n)));
    await this.#collector?.flush();
  }

  async #stop(name: string): Promise<ProcessInfo> {
    const entry = this.#entries.get(name);
    if (!entry)
      throw new RangeError(`no supervised service is called ${name}; micro ps lists them`);
    entry.stopping = true;
    clearTimeout(entry.timer);
    entry.watch?.close();
    await entry.reload?.settled();
    await terminate(entry.child);
    await entry.cleanup;
    entry.info.status = 'stopped';
    entry.info.pid = undefined;
    this.#entries.delete(name);
    this.#tell({ action: 'stop', name, summary: `${name} stopped` });
    this.#settle(entry, 'stopped');
    entry.log.close();
    return this.#info(entry);
  }

  /** Announces a change; the listener never throws (the control plane's is a lateEmit). */
  #tell(change: PlatformRuntimeEvent): void {
    this.#o.onChange?.(change);
  }

  #info(entry: Entry): ProcessInfo {
    const names = new Set([...entry.nodes.values()].map((r) => r.name));
    return { ...entry.info, registered: [...names] };
  }

  #settle(entry: Entry, r: Readiness): void {
    for (const w of [...entry.waiters]) w(r);
  }

  /** Notes the nodes a supervised process registers (or deregisters), told apart by their pid. */
  #seen(event: WatchEvent): void {
    for (const node of event.service.nodes) {
      const pid = Number(node.metadata.pid);
      const entry = [...this.#entries.values()].find((e) => e.child && e.child.pid === pid);
      if (!entry) continue;
      const r = { name: event.service.name, version: event.service.version, node };
      if (event.action === 'delete') entry.nodes.delete(registrationKey(r));
      else {
        entry.nodes.set(registrationKey(r), r);
        this.#settle(entry, 'registered');
      }
    }
  }

  /** Looks in the registry for nodes of the entry's running process; notes and tells if any. */
  async #lookup(entry: Entry): Promise<boolean> {
    for (const r of await nodesOfPid(this.#o.registry, entry.child?.pid)) {
      entry.nodes.set(registrationKey(r), r);
      this.#settle(entry, 'registered');
    }
    return entry.nodes.size > 0;
  }

  /** Starts a run of the entry's file, logging into its log. */
  #run(entry: Entry): ChildProcess {
    const env = {
      ...withoutCredentials(this.#o.env),
      ...withoutCredentials(entry.env),
      ...entry.credentials,
      MICRO_SERVICE_NAME: entry.info.name,
      // Its output is collected here: its logger sending the same lines would store them twice.
      ...(this.#collector && { MICRO_LOG_COLLECT: 'off' }),
    };
    const child = spawnRun(this.#o.self, entry.info.path, env, entry.log);
    // Before anything the run prints: its output comes in later ticks.
    entry.log.line(separator(Date.now(), child.pid));
    return child;
  }

  /** The reloads of an entry: new runs logged into its log, swapped in as its running process. */
  #reloadOf(entry: Entry, registry: Registry, client: Client): ServiceReload {
    return new ServiceReload(
      {
        log: (line) => entry.log.line(line),
        running: () => entry.child,
        stopping: () => entry.stopping,
        start: () => this.#run(entry),
        swap: async (next) => {
          const old = [...entry.nodes.values()];
          entry.nodes.clear();
          this.#adopt(entry, next);
          await this.#lookup(entry);
          return old;
        },
      },
      { registry, client },
    );
  }

  #spawn(entry: Entry): void {
    this.#adopt(entry, this.#run(entry));
  }

  /** Issues the entry its TLS certificate, then spawns its first run; a failure is logged and stops it. */
  #spawnWithTls(entry: Entry, issue: (name: string) => Promise<Record<string, string>>): void {
    issue(entry.info.name).then(
      (tls) => {
        if (entry.stopping) return;
        entry.env = { ...entry.env, ...tls };
        this.#spawn(entry);
      },
      (err: Error) => {
        entry.log.line(`micro: no TLS certificate for ${entry.info.name}: ${err.message}`);
        entry.info.status = 'stopped';
        this.#settle(entry, 'exited');
      },
    );
  }

  /** Makes child the entry's running process: its exit (unless it was replaced) restarts the service. */
  #adopt(entry: Entry, child: ChildProcess): void {
    entry.child = child;
    entry.info.pid = child.pid;
    entry.info.status = 'running';
    entry.info.started = Date.now();
    const { name } = entry.info;
    const action = entry.runs++ === 0 ? 'start' : 'restart';
    this.#tell({
      action,
      name,
      pid: child.pid,
      summary: `${name} ${action}ed (pid ${child.pid ?? '?'})`,
    });
    child.on('error', (err) => {
      entry.log.line(`micro: cannot start ${entry.info.path}: ${err.message}`);
      this.#settle(entry, 'exited');
    });
    child.on('exit', (code, signal) => {
      entry.log.flush();
      if (entry.child !== child) return; // replaced by a reload: its successor serves
      const seen = [...entry.nodes.values()];
      entry.nodes.clear();
      entry.cleanup = deregisterLeft(this.#o.registry, seen, child.pid);
      entry.child = undefined;
      entry.info.pid = undefined;
      entry.info.lastExit = signal ? `killed by ${signal}` : `exit code ${code ?? '?'}`;
      const exited = { action: 'exit', name, pid: child.pid, code: entry.info.lastExit } as const;
      if (entry.stopping) {
        this.#tell({ ...exited, summary: `${name} pid ${child.pid} ${entry.info.lastExit}` });
        return;
      }
      // Crashed: restart with exponential backoff, reset once it has stayed up for a minute.
      if (Date.now() - entry.info.started > 60_000) entry.info.restarts = 0;
      const delay = restartDelay(entry.info.restarts++);
      entry.info.status = 'restarting';
      entry.log.line(`micro: ${entry.info.name} ${entry.info.lastExit}; restarting in ${delay} ms`);
      this.#tell({
        ...exited,
        summary: `${name} pid ${child.pid} ${entry.info.lastExit}; restarting in ${delay} ms`,
      });
      this.#settle(entry, 'exited');
      entry.timer = setTimeout(() => this.#spawn(entry), delay);
    });
  }
}
