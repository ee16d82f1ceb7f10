// `micro run ./svc` keeps one process of the service and replaces it when its sources change: the
// new process must register and answer Debug.Health before the old one is stopped, so callers see
// no failed call through a reload; a new version that fails to start leaves the old one serving.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { nodesOfPid } from '../controlplane/process-nodes.ts';
import type { Registry } from '../registry/registry.ts';
import type { Client } from '../runtime/client/client.ts';

/** How a process ended: its exit code, or the signal that ended it. */
export type Exit = [code: number | null, signal: NodeJS.Signals | null];

/** What a reloader needs: how to start a process, and where to see it register. */
export interface ReloaderOptions {
  /** Starts one process of the service. */
  spawn: () => ChildProcess;
  /** The registry the service registers in: a new process is ready once a node with its pid is there. */
  registry: Registry;
  /** Calls Debug.Health on the new process's nodes. */
  client: Client;
  /** Where the reloader says what it does (one line each). */
  log: (line: string) => void;
  /** How long a new process may take to register and answer, in ms (default 15 s). */
  readyTimeout?: number;
}

/** Where to see a process register, and how long it may take. */
export type ServingOptions = Pick<ReloaderOptions, 'registry' | 'client' | 'readyTimeout'>;

/** How a process ended, in words: `code 1`, `signal SIGTERM`. */
const ending = (child: ChildProcess): string =>
  child.signalCode ? `signal ${child.signalCode}` : `code ${String(child.exitCode)}`;

/**
 * Resolves once the process has a node in the registry that answers Debug.Health; throws when it
 * exits first (the message says how) or after the timeout.
 */
export async function serving(child: ChildProcess, o: ServingOptions): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) throw new Error('it did not start');
  const deadline = Date.now() + (o.readyTimeout ?? 15_000);
  const watch = o.registry.watch();
  const changes = watch[Symbol.asyncIterator]();
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const exit = new Promise<void>((resolve) => {
    if (gone()) resolve();
    else child.once('exit', () => resolve());
  });
  try {
    for (;;) {
      if (gone()) throw new Error(`it exited (${ending(child)}) before it registered`);
      for (const { name, node } of await nodesOfPid(o.registry, pid)) {
        const healthy = await o.client
          .call(name, 'Debug.Health', {}, { node, retries: 0, timeout: 2000 })
          .then(
            () => true,
            () => false,
          );
        if (healthy) return;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('it did not register and answer in time');
      // Wait for the next registry change (or a while, for a registry that missed one).
      await Promise.race([
        changes.next(),
        exit,
        new Promise((r) => setTimeout(r, Math.min(left, 1000)).unref()),
      ]);
    }
  } finally {
    watch.stop();
  }
}

/** Runs a service's process, replacing it on reload(); `exited` resolves when the current one ends on its own. */
export class Reloader {
  readonly #o: ReloaderOptions;
  #current: ChildProcess;
  #next: ChildProcess | undefined;
  #stopping = false;
  #reloading: Promise<void> | undefined;
  #again = false;
  #exited!: (exit: Exit) => void;
  /** The current process's exit, when it ends without being replaced (a crash, a signal, stop()). */
  readonly exited = new Promise<Exit>((resolve) => (this.#exited = resolve));

  constructor(options: ReloaderOptions) {
    this.#o = options;
    this.#current = this.#adopt(options.spawn());
  }

  /** The process serving now. */
  get current(): ChildProcess {
    return this.#current;
  }

  /** Resolves once the first process serves; rejects when it exits or times out first. */
  started(): Promise<void> {
    return serving(this.#current, this.#o);
  }

  #adopt(child: ChildProcess): ChildProcess {
    child.once('exit', (code, signal) => {
      if (child === this.#current) this.#exited([code, signal]);
    });
    return child;
  }

  /** Starts a new process, and once it serves stops the old one; changes during a reload queue one more. */
  reload(why: string): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = this.#replace(why).finally(() => {
      this.#reloading = undefined;
      if (this.#again && !this.#stopping) {
        this.#again = false;
        void this.reload('more changes during the reload');
      }
    });
    return this.#reloading;
  }

  async #replace(why: string): Promise<void> {
    const t0 = performance.now();
    this.#o.log(`${why}; starting the new version`);
    const next = this.#o.spawn();
    this.#next = next;
    const gone = once(next, 'exit');
    const failed = await serving(next, this.#o).then(
      () => undefined,
      (err: unknown) => (err as Error).message,
    );
    this.#next = undefined;
    if (failed !== undefined || this.#stopping) {
      if (next.exitCode === null && next.signalCode === null) {
        next.kill('SIGTERM');
        await gone;
      }
      if (!this.#stopping)
        this.#o.log(
          `the new version did not start (${failed ?? 'stopped'}; its output is above); the running one (pid ${this.#current.pid ?? '?'}) serves on`,
        );
      return;
    }
    const old = this.#current;
    this.#current = this.#adopt(next);
    // The old process deregisters first, then finishes its calls in flight.
    old.kill('SIGTERM');
    if (old.exitCode === null && old.signalCode === null) await once(old, 'exit');
    this.#o.log(
      `reloaded in ${Math.round(performance.now() - t0)} ms (pid ${next.pid ?? '?'} replaces ${old.pid ?? '?'})`,
    );
  }

  /** Passes a signal to the processes, the one starting too, and starts no more. */
  stop(signal: NodeJS.Signals): void {
    this.#stopping = true;
    this.#next?.kill(signal);
    this.#current.kill(signal);
  }
}
