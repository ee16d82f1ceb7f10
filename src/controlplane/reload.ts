// Reloading a supervised service when its files change: a new run must register and answer
// Debug.Health before the old one is stopped; one that fails leaves the old serving. One reload at
// a time; changes during one queue one more.
import type { ChildProcess } from 'node:child_process';
import { serving, type ServingOptions } from '../runner/reload.ts';
import { terminate } from './child.ts';
import { deregisterLeft, type Registration } from './process-nodes.ts';

/** What a reload does to the service it belongs to. */
export interface ReloadTarget {
  /** Writes a line into the service's log. */
  log(line: string): void;
  /** The run serving now; none while it restarts after a crash. */
  running(): ChildProcess | undefined;
  /** True once the service is being stopped. */
  stopping(): boolean;
  /** Starts a new run of the service's file. */
  start(): ChildProcess;
  /** Makes next the serving run; resolves with the nodes the old run registered. */
  swap(next: ChildProcess): Promise<Registration[]>;
}

/** The reloads of one supervised service. */
export class ServiceReload {
  readonly #t: ReloadTarget;
  readonly #o: ServingOptions;
  #under: Promise<void> | undefined;
  #again = false;

  constructor(target: ReloadTarget, options: ServingOptions) {
    this.#t = target;
    this.#o = options;
  }

  /** Resolves once no reload is under way. */
  settled(): Promise<void> {
    return this.#under ?? Promise.resolve();
  }

  /**
   * Replaces the running process after files changed. A service restarting after a crash picks
   * the change up as it starts, and needs no reload.
   */
  request(files: string[]): void {
    if (this.#t.stopping() || !this.#t.running()) return;
    if (this.#under) {
      this.#again = true;
      return;
    }
    this.#under = this.#replace(files).finally(() => {
      this.#under = undefined;
      if (this.#again) {
        this.#again = false;
        this.request(['more files']);
      }
    });
  }

  async #replace(files: string[]): Promise<void> {
    const t0 = performance.now();
    this.#t.log(`micro: ${files.slice(0, 3).join(', ')} changed; starting the new version`);
    const next = this.#t.start();
    const failed = await serving(next, this.#o).then(
      () => undefined,
      (err: unknown) => (err as Error).message,
    );
    const old = this.#t.running();
    if (failed !== undefined || this.#t.stopping() || !old) {
      await terminate(next);
      if (!this.#t.stopping())
        this.#t.log(
          `micro: the new version did not start (${failed ?? 'the old one ended'}); the running one serves on`,
        );
      return;
    }
    const oldNodes = await this.#t.swap(next);
    await terminate(old);
    await deregisterLeft(this.#o.registry, oldNodes, old.pid);
    this.#t.log(
      `micro: reloaded in ${Math.round(performance.now() - t0)} ms (pid ${next.pid ?? '?'} replaces ${old.pid ?? '?'})`,
    );
  }
}
