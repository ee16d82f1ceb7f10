// A service's own health checks: functions it registers (`service.healthCheck('db', fn)`), run in
// process on their interval, whose last results Debug.Health reports. A check fails when it throws
// (synchronously too), rejects, or has not settled within its timeout (its signal is aborted then);
// a string it returns is its detail. A failing critical check makes the node `unhealthy`, a failing
// non-critical one `degraded`. Limits: a check runs again `interval` ms after its previous run
// settled (never two runs of one check at once); a check that ignores its signal keeps running in
// the background, only its result is no longer waited for. Timers are unref'd: checks never keep a
// process alive.

/** A check: throws or rejects when failing; a returned string is its detail. */
export type HealthCheckFunc = (signal: AbortSignal) => unknown;

/** How a check runs. */
export interface HealthCheckOptions {
  /** Ms between the end of a run and the next (default 10 s). */
  interval?: number;
  /** Ms a run may take before it counts as failing (default 5 s). */
  timeout?: number;
  /** A failing critical check makes the node unhealthy, another only degrades it (default true). */
  critical?: boolean;
}

/** One check's last result, as Debug.Health reports it. */
export interface HealthCheckResult {
  /** The check's name. */
  name: string;
  /** Whether it passed. */
  status: 'ok' | 'failing';
  /** Whether a failure makes the node unhealthy (else degraded). */
  critical: boolean;
  /** What the check said (its error's message when failing), at most 1,000 characters. */
  detail?: string;
  /** How long it took, ms. */
  ms: number;
  /** When it ran, ms since the epoch. */
  checked: number;
}

/** A node's status from its checks: ok, degraded (a non-critical one fails), or unhealthy. */
export type HealthReportStatus = 'ok' | 'degraded' | 'unhealthy';

/** Longest detail kept, in characters. */
const MAX_DETAIL = 1000;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

interface Check {
  name: string;
  fn: HealthCheckFunc;
  interval: number;
  timeout: number;
  critical: boolean;
  result?: HealthCheckResult;
  timer?: NodeJS.Timeout;
}

const cut = (s: string): string => (s.length > MAX_DETAIL ? s.slice(0, MAX_DETAIL) : s);

function positive(name: string, what: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new TypeError(`healthCheck(${name}): ${what} must be a positive number of ms`);
  return v;
}

/** Runs one check once, bounded by its timeout; never throws. */
async function runOnce(c: Check): Promise<HealthCheckResult> {
  const controller = new AbortController();
  const checked = Date.now();
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const result = (status: 'ok' | 'failing', detail?: string): HealthCheckResult => ({
    name: c.name,
    status,
    critical: c.critical,
    ...(detail ? { detail: cut(detail) } : {}),
    ms: Math.round((performance.now() - t0) * 10) / 10,
    checked,
  });
  const timedOut = new Promise<HealthCheckResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${c.timeout} ms`));
      resolve(result('failing', `timed out after ${c.timeout} ms`));
    }, c.timeout);
    timer.unref();
  });
  const ran = (async (): Promise<HealthCheckResult> => {
    try {
      const v: unknown = await c.fn(controller.signal);
      return result('ok', typeof v === 'string' ? v : undefined);
    } catch (err) {
      return result('failing', err instanceof Error ? err.message : String(err));
    }
  })();
  try {
    return await Promise.race([ran, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The health checks of one server. */
export class HealthChecks {
  readonly #checks = new Map<string, Check>();
  #running = false;
  /** Bumped by each start and stop, so that a run begun before a stop schedules nothing. */
  #generation = 0;

  /** Adds a check; a bad name or option, or a name taken, is a TypeError. */
  add(name: string, fn: HealthCheckFunc, options: HealthCheckOptions = {}): void {
    if (typeof name !== 'string' || !NAME.test(name))
      throw new TypeError(
        `healthCheck(${String(name)}): the name must be 1 to 64 of A-Z a-z 0-9 . _ -`,
      );
    if (this.#checks.has(name))
      throw new TypeError(`healthCheck(${name}): a check of that name exists`);
    if (typeof fn !== 'function')
      throw new TypeError(`healthCheck(${name}): fn must be a function`);
    const check: Check = {
      name,
      fn,
      interval: positive(name, 'interval', options.interval, 10_000),
      timeout: positive(name, 'timeout', options.timeout, 5000),
      critical: options.critical ?? true,
    };
    this.#checks.set(name, check);
    if (this.#running) void this.#loop(check);
  }

  /** Runs every check once, then each on its interval; resolves after the first runs. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#generation++;
    await Promise.all([...this.#checks.values()].map((c) => this.#loop(c)));
  }

  /** Stops the timers; results are kept. */
  stop(): void {
    this.#running = false;
    this.#generation++;
    for (const c of this.#checks.values()) clearTimeout(c.timer);
  }

  /** The node's status and each check's last result (checks not run yet are left out). */
  report(): { status: HealthReportStatus; checks: HealthCheckResult[] } {
    const checks = [...this.#checks.values()].flatMap((c) => (c.result ? [c.result] : []));
    const failing = checks.filter((r) => r.status === 'failing');
    const status = failing.some((r) => r.critical)
      ? 'unhealthy'
      : failing.length > 0
        ? 'degraded'
        : 'ok';
    return { status, checks };
  }

  /** Runs a check now and schedules its next run. */
  async #loop(c: Check): Promise<void> {
    const generation = this.#generation;
    c.result = await runOnce(c);
    if (!this.#running || generation !== this.#generation) return;
    clearTimeout(c.timer);
    c.timer = setTimeout(() => void this.#loop(c), c.interval);
    c.timer.unref();
  }
}
