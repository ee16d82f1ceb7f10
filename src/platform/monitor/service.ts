// The control plane's `monitor` service: the `Monitor` handler (Status, History) over any Monitor,
// and hostMonitor, which probes every node of the control plane's registry (runner.ts), keeps the
// changes in micro.db (MICRO_MONITOR=memory: in memory), marks unhealthy nodes in the registry the
// control plane serves, and publishes each change on `micro.health`. Requests are closed JSON
// objects: an unknown field is a 400 naming it. With auth on, reading needs
// `registry:<service, or *>:read`, as the registry's own listing does.
import { badRequest } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/server/server.ts';
import { closed } from '../../runtime/server/closed.ts';
import { endpoint } from '../../runtime/server/declare.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import { accessCheck, type Check } from '../access.ts';
import { lateEmit, PLATFORM_TOPICS, type PlatformHealthEvent } from '../events/platform.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import { DEFAULT_KEEP, MAX_LIMIT, memoryHistory, type HistoryStore } from './history.ts';
import type { Monitor, NodeStatus, StatusChange } from './monitor.ts';
import { RUNNER_DEFAULTS, startRunner, type Runner } from './runner.ts';
import { createTracker } from './tracker.ts';

/** The monitor service's error id. */
export const MONITOR_ID = 'monitor';

const name = { type: 'string', minLength: 1, maxLength: 256 };

const text = (r: Record<string, unknown>, key: string): string | undefined => {
  const v = r[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > 256)
    throw badRequest(MONITOR_ID, `${key} must be a name of 1 to 256 characters`);
  return v;
};
const whole = (r: Record<string, unknown>, key: string, min: number, max: number) => {
  const v = r[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw badRequest(MONITOR_ID, `${key} must be a whole number from ${min} to ${max}`);
  return v;
};

/** The `Monitor` handler: Status ({service?} -> {nodes}), History ({service?, node?, since?, limit?} -> {changes}). */
export function monitorHandler(monitor: Monitor, check: Check = accessCheck(undefined)): Handler {
  return {
    Status: endpoint(
      {
        request: closed(
          MONITOR_ID,
          'Monitor.Status',
          { type: 'object', properties: { service: name }, additionalProperties: false },
          (r) => ({ service: text(r, 'service') }),
        ),
      },
      async (req, ctx) => {
        check(ctx, 'registry', req.service ?? '*', 'read');
        return { nodes: await monitor.status(req.service ? { service: req.service } : {}) };
      },
    ),
    History: endpoint(
      {
        request: closed(
          MONITOR_ID,
          'Monitor.History',
          {
            type: 'object',
            properties: {
              service: name,
              node: name,
              since: { type: 'integer', minimum: 0, description: 'ms since the epoch' },
              limit: {
                type: 'integer',
                minimum: 1,
                maximum: MAX_LIMIT,
                description: '100 when left out',
              },
            },
            additionalProperties: false,
          },
          (r) => ({
            service: text(r, 'service'),
            node: text(r, 'node'),
            since: whole(r, 'since', 0, Number.MAX_SAFE_INTEGER),
            limit: whole(r, 'limit', 1, MAX_LIMIT),
          }),
        ),
      },
      async (req, ctx) => {
        check(ctx, 'registry', req.service ?? '*', 'read');
        const query = Object.fromEntries(Object.entries(req).filter(([, v]) => v !== undefined));
        return { changes: await monitor.history(query) };
      },
    ),
  };
}

/** A positive whole number from the environment, else `fallback`; anything else is a TypeError. */
export function countFromEnv(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const v = env[key];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new TypeError(`${key} must be a positive whole number, not "${v}"`);
  return n;
}

/** The line and the event of one change. */
function healthEvent(change: StatusChange, status: NodeStatus): PlatformHealthEvent {
  const why = change.detail ? `: ${change.detail}` : '';
  return {
    service: change.service,
    version: change.version,
    node: change.node,
    address: status.address,
    from: change.from,
    to: change.to,
    ...(change.detail ? { detail: change.detail } : {}),
    summary:
      `${change.service} ${change.version || '(no version)'} node ${change.node} ${change.from} -> ${change.to}${why}`.slice(
        0,
        1200,
      ),
  };
}

/**
 * Hosts the monitor: history in micro.db (or memory), the runner over context.fleet (none without
 * one: then Status and History answer empty), marks and `micro.health` events for each change.
 */
export async function hostMonitor(context: HostContext): Promise<Hosted> {
  const env = context.env;
  const keep = countFromEnv(env, 'MICRO_MONITOR_KEEP', DEFAULT_KEEP);
  const engine = env.MICRO_MONITOR || 'micro';
  let history: HistoryStore;
  let db: { close(): void } | undefined;
  if (engine === 'memory') history = memoryHistory(keep);
  else if (engine === 'micro') {
    const [{ openDatabase }, { sqliteHistory }] = await Promise.all([
      import('../../registry/sqlite.ts'),
      import('./sqlite.ts'),
    ]);
    const opened = openDatabase(context.dbPath, context.nativeBinding);
    db = opened;
    history = sqliteHistory(opened, keep);
  } else
    throw badRequest(
      MONITOR_ID,
      `unknown monitor "${engine}" (MICRO_MONITOR): the control plane keeps its history in micro (SQLite) or memory`,
    );
  const tracker = createTracker({
    history,
    failures: countFromEnv(env, 'MICRO_MONITOR_FAILURES', 2),
  });
  const emit = lateEmit(() => context.emit);
  const logger: Logger | undefined = context.logger;
  const fleet = context.fleet;
  let runner: Runner | undefined;
  if (fleet)
    runner = startRunner({
      registry: fleet.registry,
      client: fleet.client,
      tracker,
      interval: countFromEnv(env, 'MICRO_MONITOR_INTERVAL', RUNNER_DEFAULTS.interval),
      onChange: (change, status) => {
        fleet.mark(change.service, change.version, change.node, change.to === 'unhealthy');
        const event = healthEvent(change, status);
        if (change.to === 'unhealthy') logger?.warn(`monitor: ${event.summary}`);
        else if (change.from === 'unhealthy') logger?.info(`monitor: ${event.summary}`);
        emit(PLATFORM_TOPICS.health, { ...event });
      },
      onGone: (s) => fleet.mark(s.service, s.version, s.node, false),
      logger,
    });
  return {
    handlers: { Monitor: monitorHandler(tracker, accessCheck(context.authorize)) },
    close: async () => {
      await runner?.stop();
      await tracker.close();
      db?.close();
    },
  };
}
