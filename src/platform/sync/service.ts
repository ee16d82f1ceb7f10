// The control plane's `sync` service: the `Sync` handler serving any SyncOps over RPC, and
// hostSync, which serves the control plane's SQLite tables (micro.db) unless the control plane's
// environment names another engine (MICRO_SYNC=etcd or redis, at MICRO_SYNC_ADDRESS). Every request
// is a closed JSON object: an unknown field is a 400 naming it, nothing is changed.
import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec';
import { printable } from '../../registry/printable.ts';
import { badRequest } from '../../runtime/errors.ts';
import { endpoint } from '../../runtime/server/declare.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import type { HostContext, Hosted } from '../hosts.ts';
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

/** A request schema as a closed JSON object, checked by `check` (which throws 400s). */
function closed<T>(
  endpointName: string,
  properties: Record<string, Schema>,
  required: string[],
  check: (req: Record<string, unknown>) => T,
): StandardSchemaV1<unknown, T> & StandardJSONSchemaV1 {
  const what = `a Sync.${endpointName} request`;
  const known = Object.keys(properties);
  const schema = { type: 'object', required, properties, additionalProperties: false };
  const describe = (): Schema => structuredClone(schema);
  return {
    '~standard': {
      version: 1,
      vendor: 'micro',
      validate(value) {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          throw badRequest(SYNC_ID, `${what} must be a JSON object`);
        const req = value as Record<string, unknown>;
        for (const key of Object.keys(req))
          if (!known.includes(key)) {
            const shown = printable(JSON.stringify(key.slice(0, 40)), false);
            const fields = known.length ? known.join(', ') : 'no fields';
            throw badRequest(SYNC_ID, `${shown} is not a field of ${what}; it takes ${fields}`);
          }
        for (const key of required)
          if (req[key] === undefined) throw badRequest(SYNC_ID, `${what} needs ${key}`);
        return { value: check(req) };
      },
      jsonSchema: { input: describe, output: describe },
    },
  };
}

/** The `Sync` handler: Lock, Renew, Unlock, Locks, Campaign, Resign, Leader, Leaders, Candidates. */
export function syncHandler(ops: SyncOps): Handler {
  return {
    Lock: endpoint(
      {
        request: closed(
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
          ...req,
          wait: Math.max(0, Math.min(req.wait, ctx.deadline - Date.now() - 200)),
        }),
    ),
    Renew: endpoint(
      {
        request: closed('Renew', { name, token }, ['name', 'token'], (r) => ({
          name: checkName(r.name),
          token: checkToken(r.token),
        })),
      },
      (req) => ops.renew(req),
    ),
    Unlock: endpoint(
      {
        request: closed('Unlock', { name, token }, ['name', 'token'], (r) => ({
          name: checkName(r.name),
          token: checkToken(r.token),
        })),
      },
      async (req) => {
        await ops.unlock(req);
        return {};
      },
    ),
    Locks: endpoint(
      {
        request: closed('Locks', { prefix: { type: 'string', maxLength: MAX_NAME } }, [], (r) => ({
          prefix: checkPrefix(r.prefix),
        })),
      },
      async (req) => ({ locks: await ops.locks(req) }),
    ),
    Campaign: endpoint(
      {
        request: closed('Campaign', { name, id: name, ttl }, ['name', 'id'], (r) => ({
          name: checkName(r.name),
          id: checkName(r.id, 'id'),
          ttl: checkTtl(r.ttl),
        })),
      },
      (req) => ops.campaign(req),
    ),
    Resign: endpoint(
      {
        request: closed('Resign', { name, id: name }, ['name', 'id'], (r) => ({
          name: checkName(r.name),
          id: checkName(r.id, 'id'),
        })),
      },
      async (req) => {
        await ops.resign(req);
        return {};
      },
    ),
    Leader: endpoint(
      {
        request: closed('Leader', { name }, ['name'], (r) => ({ name: checkName(r.name) })),
      },
      async (req) => {
        const leader = await ops.leader(req);
        return leader ? { leader } : {};
      },
    ),
    Leaders: endpoint({ request: closed('Leaders', {}, [], () => ({})) }, async () => ({
      leaders: await ops.leaders(),
    })),
    Candidates: endpoint(
      {
        request: closed('Candidates', { name }, ['name'], (r) => ({ name: checkName(r.name) })),
      },
      async (req) => ({ candidates: await ops.candidates(req) }),
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
  return {
    handlers: { Sync: syncHandler(ops) },
    close: async () => {
      await ops.close();
      db?.close();
    },
  };
}
