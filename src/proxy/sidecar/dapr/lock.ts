// Dapr's distributed lock API on micro's Sync. Lock store S and resource R are the micro lock named
// `S/R`, held by the lockOwner (as its holder, so the sync service's Locks shows who). Dapr's lock expires
// after expiryInSeconds without renewal, so the sidecar takes it with that lease and releases it when
// it expires; if the sidecar dies first, the lease lapses on its own.
//
// Limits: an unlock must come through the sidecar that locked (it holds the lock's token); elsewhere
// the lock reads as another owner's (status 2). A sidecar holds at most DAPR_LIMITS.locks locks (past
// them a 429).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MicroError } from '../../../runtime/errors.ts';
import type { Logger } from '../../../runtime/server/server.ts';
import type { Lock, Sync } from '../../../platform/sync/sync.ts';
import { SIDECAR_ID } from '../guard.ts';
import { DaprError, asDapr, daprError, malformed, notConfigured } from './errors.ts';
import { DAPR_LIMITS, componentName, isObject, only, seconds, text } from './input.ts';

/** Dapr's unlock statuses. */
const UNLOCK = { success: 0, missing: 1, others: 2, failed: 3 } as const;

interface Held {
  owner: string;
  lock: Lock;
  timer: NodeJS.Timeout;
}

/** The locks a sidecar holds for its app; release them all with close(). */
export interface DaprLocks {
  close(): Promise<void>;
}

/** Registers `/v1.0-alpha1/lock/{store}` and `/unlock/{store}` on `app` over `sync`. */
export function registerLock(
  app: FastifyInstance,
  sync: Sync | undefined,
  logger: Logger,
): DaprLocks {
  const held = new Map<string, Held>();
  const release = (name: string, h: Held): Promise<void> => {
    clearTimeout(h.timer);
    if (held.get(name) === h) held.delete(name);
    return h.lock.unlock().catch((err: unknown) => {
      logger.warn(`could not release lock ${name}: ${(err as Error).message}`);
    });
  };
  const parse = (req: FastifyRequest, fields: string[]) => {
    if (!sync) throw notConfigured('ERR_LOCK_STORE_NOT_CONFIGURED', 'locks (sync)');
    const store = componentName((req.params as { store: string }).store, 'lock store');
    const body = req.body;
    if (!isObject(body)) throw malformed(`the body must be an object {${fields.join(', ')}}`);
    only(body, fields, 'the body');
    const resourceId = text(body.resourceId, 'resourceId');
    const owner = text(body.lockOwner, 'lockOwner');
    return { sync, name: `${store}/${resourceId}`, owner, body };
  };

  const lock = async (req: FastifyRequest) => {
    const {
      sync: s,
      name,
      owner,
      body,
    } = parse(req, ['resourceId', 'lockOwner', 'expiryInSeconds']);
    const expiry = seconds(body.expiryInSeconds, 'expiryInSeconds');
    if (held.has(name)) return { success: false };
    if (held.size >= DAPR_LIMITS.locks)
      throw new DaprError(
        'ERR_TRY_LOCK',
        new MicroError(SIDECAR_ID, 429, `this sidecar already holds ${DAPR_LIMITS.locks} locks`),
      );
    let acquired: Lock;
    try {
      acquired = await s.lock(name, { ttl: expiry * 1000, wait: 0, holder: owner });
    } catch (err) {
      if (err instanceof MicroError && err.code === 409) return { success: false };
      throw daprError('ERR_TRY_LOCK', err);
    }
    const h: Held = {
      owner,
      lock: acquired,
      timer: setTimeout(() => void release(name, h), expiry * 1000),
    };
    h.timer.unref();
    acquired.signal.addEventListener('abort', () => {
      clearTimeout(h.timer);
      if (held.get(name) === h) held.delete(name);
    });
    held.set(name, h);
    return { success: true };
  };

  const unlock = async (req: FastifyRequest) => {
    const { sync: s, name, owner } = parse(req, ['resourceId', 'lockOwner']);
    const mine = held.get(name);
    if (mine) {
      if (mine.owner !== owner) return { status: UNLOCK.others };
      await release(name, mine);
      return { status: UNLOCK.success };
    }
    const locks = await asDapr('ERR_UNLOCK', () => s.locks({ prefix: name }));
    return { status: locks.some((l) => l.name === name) ? UNLOCK.others : UNLOCK.missing };
  };

  for (const v of ['v1.0-alpha1', 'v1.0']) {
    app.post(`/${v}/lock/:store`, lock);
    app.post(`/${v}/unlock/:store`, unlock);
  }
  return {
    async close() {
      await Promise.all([...held].map(([name, h]) => release(name, h)));
    },
  };
}
