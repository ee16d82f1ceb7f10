// A client's copy of the traffic rules: read whole, then kept current by the Routes' watch; read
// whole again every `refresh` ms (MICRO_ROUTES_REFRESH, default 10 s) and as soon as the watch
// breaks (then watched again, backing off up to `refresh` while the store is away). Lookups are
// one Map get. Until the first read has been tried, `settled` is false (callers may await
// `first()`); a store that cannot be reached leaves the rules empty (every call goes anywhere)
// and is tried again in the background. Rules already held survive an outage of the store.
// Its reads make no span and belong to no caller's trace (they start from the root context).
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Routes, TrafficRule } from './routing.ts';

/** Options of a rule cache. */
export interface RuleCacheOptions<T> {
  /** Where the rules are read and watched; made on first use (on start). */
  routes: () => Routes;
  /** Turns a rule into what lookups return (apply.ts compiles its matchers once here). */
  compile: (rule: TrafficRule) => T;
  /** Milliseconds between full reads besides the watch (default 10000). */
  refresh?: number;
  /** The longest a first() waits for the first read (default 2000 ms). */
  firstWait?: number;
  /** Read the rules once, with no watch and no refresh (a one-shot program such as the CLI). */
  once?: boolean;
  /** Told each time the rules change (after the change is in place). */
  onChange?: () => void;
}

/** The rules a client applies, kept current. */
export interface RuleCache<T> {
  /** What the rule of a service compiled to, if it has one: one Map lookup. */
  get(service: string): T | undefined;
  /** The rules held now. */
  rules(): TrafficRule[];
  /** True once the first read was tried (whether or not it succeeded). */
  readonly settled: boolean;
  /** Starts reading if not started; resolves once settled (or after `firstWait`), never rejects. */
  first(): Promise<void>;
  /** True inside the cache's own reads: calls made there must not wait for it. */
  inside(): boolean;
  /** Stops the watch and the timer, and closes the Routes it made. */
  close(): Promise<void>;
}

/** Builds a rule cache; nothing is read until first() is called. */
export function createRuleCache<T>(options: RuleCacheOptions<T>): RuleCache<T> {
  const refresh = options.refresh ?? 10_000;
  const own = new AsyncLocalStorage<true>();
  /** Runs the cache's own work: marked as its own, outside any trace, making no span. */
  const detached = <R>(fn: () => R): R =>
    own.run(true, () => context.with(suppressTracing(ROOT_CONTEXT), fn));
  let held = new Map<string, { rule: TrafficRule; compiled: T }>();
  let routes: Routes | undefined;
  let started: Promise<void> | undefined;
  let settled = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  // Bumped by each change the watch reports, so a full read begun before it is not applied over it.
  let generation = 0;

  const changed = () => options.onChange?.();
  const put = (service: string, rule: TrafficRule | undefined): void => {
    const next = new Map(held);
    if (rule) next.set(service, { rule, compiled: options.compile(rule) });
    else next.delete(service);
    held = next;
    changed();
  };
  const readAll = async (r: Routes): Promise<void> => {
    const before = generation;
    const list = await r.list();
    if (before !== generation || closed) return;
    held = new Map(list.map((rule) => [rule.service, { rule, compiled: options.compile(rule) }]));
    changed();
  };
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  const run = async (r: Routes, settle: () => void): Promise<void> => {
    let wait = 250;
    while (!closed) {
      const watcher = r.watch();
      try {
        await watcher.ready;
        await readAll(r);
        wait = 250;
        settle();
        for await (const change of watcher) {
          generation++;
          put(change.service, change.rule);
        }
      } catch {
        // The store is away or the watch broke: read again below, then watch again.
      }
      watcher.stop();
      if (closed) return;
      await readAll(r).catch(() => undefined);
      settle();
      await pause(wait);
      wait = Math.min(wait * 2, refresh);
    }
  };

  const start = (): Promise<void> =>
    (started ??= new Promise<void>((resolve) => {
      const settle = () => {
        settled = true;
        resolve();
      };
      detached(() => {
        routes = options.routes();
        const r = routes;
        if (options.once) return void readAll(r).then(settle, settle);
        void run(r, settle);
        timer = setInterval(() => {
          if (!closed) void detached(() => readAll(r).catch(() => undefined));
        }, refresh);
        timer.unref();
      });
    }));

  return {
    get: (service) => held.get(service)?.compiled,
    rules: () => [...held.values()].map((h) => h.rule),
    get settled() {
      return settled;
    },
    first() {
      const p = start();
      if (settled) return p;
      return new Promise<void>((resolve) => {
        const t = setTimeout(resolve, options.firstWait ?? 2000);
        t.unref();
        void p.then(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    inside: () => own.getStore() === true,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      wake?.();
      await routes?.close();
    },
  };
}
