// The control plane's `sync` service: the `Sync` handler serving any SyncOps over RPC, and
// hostSync, which serves the control plane's SQLite tables (micro.db) unless the control plane's
// environment names another engine (MICRO_SYNC=etcd or redis, at MICRO_SYNC_ADDRESS). Every request
// is a closed JSON object: an unknown field is a 400 naming it, nothing is changed. Locks taken,
// released and lapsed, and leader changes, are announced on `micro.sync` (observed.ts). With auth
// on, a call needs `sync:<name>:lock` (locks), `:elect` (elections) or `:read` (who holds what).
import { badRequest } from '../../runtime/errors.ts';
import { closed } from '../../runtime/server/closed.ts';
import { endpoint } from '../../runtime/server/declare.ts';
import type { Context } from '../../runtime/context.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import { accessCheck, type Check } from '../access.ts';
import { lateEmit } from '../events/platform.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import { observedOps } from './observed.ts';
import {
  checkName,
  checkPrefix,
  checkToken,
  checkTtl,
  checkWait,
  MAX_NAME,
  MAX_TTL,
  MAX_WAIT,
  MIN_TTL,
  SYNC_ID,
  type SyncOps,
} from './ops.ts';

type Schema = Record<string, unknown>;
const name = { type: 'string', minLength: 1, maxLength: MAX_NAME };
const ttl = {
  type: 'integer',
  minimum: MIN_TTL,
  maximum: MAX_TTL,
  description: 'lease in ms (15000 when left out)',
};
const token = { type: 'integer', minimum: 1, description: 'the fencing token Lock returned' };

/** A closed request of `Sync.<endpoint>` with these properties, checked by `check` (400s). */
const closedRequest = <T>(
  endpointName: string,
  properties: Record<string, Schema>,
  required: string[],
  check: (req: Record<string, unknown>) => T,
) =>
  closed(
    SYNC_ID,
    `Sync.${endpointName}`,
    { type: 'object', required, properties, additionalProperties: false },
    check,
  );

/** The `Sync` handler: Lock, Renew, Unlock, Locks, Campaign, Resign, Leader, Leaders, Candidates. */
export function syncHandler(ops: SyncOps, check: Check = accessCheck(undefined)): Handler {
  /** The request, once its caller may do `action` to the lock or election it names. */
  const may = <T extends { name: string }>(action: string, req: T, ctx: Context): T => {
    check(ctx, 'sync', req.name, action);
    return req;
  };
  return {
    Lock: endpoint(
      {
        request: closedRequest(
          'Lock',
          {
            name,
            holder: { ...name, description: 'who holds it' },
            ttl,
            wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT, description: 'ms to wait' },
          },
          ['name', 'holder'],
          (r) => ({
            name: checkName(r.name),
            holder: checkName(r.holder, 'holder'),
            ttl: checkTtl(r.ttl),
            wait: checkWait(r.wait),
          }),
        ),
      },
      // A wait never outlasts the caller's deadline: it answers the 409 while someone listens.
      (req, ctx) =>
        ops.lock({
          ...may('lock', req, ctx),
          wait: Math.max(0, Math.min(req.wait, ctx.deadline - Date.now() - 200)),
        }),
    ),
    Renew: endpoint(
      {
        request: closedRequest('Renew', { name, token }, ['name', 'token'], (r) => ({
          name: checkName(r.name),
          token: checkToken(r.token),
        })),
      },
      (req, ctx) => ops.renew(may('lock', req, ctx)),
    ),
    Unlock: endpoint(
      {
        request: closedRequest('Unlock', { name, token }, ['name', 'token'], (r) => ({
          name: checkName(r.name),
          token: checkToken(r.token),
        })),
      },
      async (req, ctx) => {
        await ops.unlock(may('lock', req, ctx));
        return {};
      },
    ),
    Locks: endpoint(
      {
        request: closedRequest(
          'Locks',
          { prefix: { type: 'string', maxLength: MAX_NAME } },
          [],
          (r) => ({
            prefix: checkPrefix(r.prefix),
          }),
        ),
      },
      async (req, ctx) => {
        check(ctx, 'sync', `${req.prefix}*`, 'read');
        return { locks: await ops.locks(req) };
      },
    ),
    Campaign: endpoint(
      {
        request: closedRequest('Campaign', { name, id: name, ttl }, ['name', 'id'], (r) => ({
          name: checkName(r.name),
          id: checkName(r.id, 'id'),
          ttl: checkTtl(r.ttl),
        })),
      },
      (req, ctx) => ops.campaign(may('elect', req, ctx)),
    ),
    Resign: endpoint(
      {
        request: closedRequest('Resign', { name, id: name }, ['name', 'id'], (r) => ({
          name: checkName(r.name),
          id: checkName(r.id, 'id'),
        })),
      },
      async (req, ctx) => {
        await ops.resign(may('elect', req, ctx));
        return {};
      },
    ),
    Leader: endpoint(
      {
        request: closedRequest('Leader', { name }, ['name'], (r) => ({ name: checkName(r.name) })),
      },
      async (req, ctx) => {
        const leader = await ops.leader(may('read', req, ctx));
        return leader ? { leader } : {};
      },
    ),
    Leaders: endpoint(
      { request: closedRequest('Leaders', {}, [], () => ({})) },
      async (_req, ctx) => {
        check(ctx, 'sync', '*', 'read');
        return { leaders: await ops.leaders() };
      },
    ),
    Candidates: endpoint(
      {
        request: closedRequest('Candidates', { name }, ['name'], (r) => ({
          name: checkName(r.name),
        })),
      },
      async (req, ctx) => ({ candidates: await ops.candidates(may('read', req, ctx)) }),
    ),
  };
}

/** Hosts the sync service: SQLite in micro.db, or the engine MICRO_SYNC names (etcd, redis). */
export async function hostSync(context: HostContext): Promise<Hosted> {
  const engine = context.env.MICRO_SYNC || 'micro';
  const address = context.env.MICRO_SYNC_ADDRESS || undefined;
  let ops: SyncOps;
  let db: { close(): void } | undefined;
  if (engine === 'etcd') ops = (await import('./etcd.ts')).etcdOps({ address });
  else if (engine === 'redis') ops = (await import('./redis.ts')).redisOps({ address });
  else if (engine === 'memory') ops = (await import('./memory.ts')).memoryTable();
  else if (engine === 'micro') {
    const [{ openDatabase }, { sqliteState }, { tableOps }] = await Promise.all([
      import('../../registry/sqlite.ts'),
      import('./sqlite.ts'),
      import('./table.ts'),
    ]);
    const opened = openDatabase(context.dbPath, context.nativeBinding);
    db = opened;
    ops = tableOps(sqliteState(opened));
  } else
    throw badRequest(
      SYNC_ID,
      `unknown sync "${engine}" (MICRO_SYNC): the control plane serves micro (SQLite), memory, etcd or redis`,
    );
  ops = observedOps(
    ops,
    lateEmit(() => context.emit),
  );
  return {
    handlers: { Sync: syncHandler(ops, accessCheck(context.authorize)) },
    close: async () => {
      await ops.close();
      db?.close();
    },
  };
}
