// The holder's side of every lease, once for all engines: a Sync made of SyncOps that renews each
// held lock and candidacy every third of its lease and gives it up, locally, before the engine can
// have let it lapse. A renewal's lease runs from when the engine received it, which is after the
// holder sent it; so a holder that counts ttl (less a tenth) from the send of its last answered
// renewal stops before anyone else can have been given the lock or leadership. That assumes clocks
// that run at the same rate, not synchronised clocks.
import { MicroError } from '../../runtime/errors.ts';
import {
  checkName,
  checkPrefix,
  checkTtl,
  checkWait,
  isConflict,
  SYNC_ID,
  type SyncOps,
} from './ops.ts';
import type { Candidacy, ElectOptions, LeaderInfo, Lock, LockOptions, Sync } from './sync.ts';

/** What a Sync over SyncOps is called and who it speaks for by default. */
export interface LeaseOptions {
  name: string;
  address: string;
  /** The default holder and candidate id. */
  id?: string;
}

/** How long before its lease a holder stops counting on it: a tenth of it, at most 2 s. */
const margin = (ttl: number): number => Math.min(ttl / 10, 2000);

/**
 * Keeps one lease: calls `renew` every ttl/3 (sooner after a failure), and `lost` once, when a
 * renewal says it is gone or none was answered for ttl less the margin since it was sent.
 */
function keep(
  ttl: number,
  start: number,
  renew: () => Promise<'ok' | 'gone'>,
  lost: (why: string) => void,
): { stop(): void } {
  let stopped = false;
  // The first lease ran from the request's send, not its answer.
  let lastSent = start;
  let timer: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const give = (why: string): void => {
    if (stopped) return;
    stop();
    lost(why);
  };
  const arm = (): void => {
    clearTimeout(deadline);
    deadline = setTimeout(
      () => give(`no renewal answered within its ${ttl} ms lease`),
      Math.max(0, lastSent + ttl - margin(ttl) - Date.now()),
    );
  };
  const tick = async (): Promise<void> => {
    const sent = Date.now();
    let next = ttl / 3;
    try {
      const answer = await renew();
      if (stopped) return;
      if (answer === 'gone') return give('its lease lapsed or it was taken');
      lastSent = sent;
      arm();
    } catch {
      next = Math.min(next, 250);
    }
    if (!stopped) timer = setTimeout(() => void tick(), next);
  };
  const stop = (): void => {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(deadline);
  };
  arm();
  timer = setTimeout(() => void tick(), ttl / 3);
  return { stop };
}

/** A Sync over `ops`, keeping the leases of what it holds until released or closed. */
export function syncOver(ops: SyncOps, options: LeaseOptions): Sync {
  const id = options.id ?? `${options.name}-${process.pid}`;
  const held = new Set<() => Promise<void>>();
  let closed = false;
  const open = (): void => {
    if (closed) throw new MicroError(SYNC_ID, 503, `this ${options.name} sync is closed`);
  };

  const lock = async (name: string, o: LockOptions = {}): Promise<Lock> => {
    open();
    const ttl = checkTtl(o.ttl);
    const req = {
      name: checkName(name),
      holder: checkName(o.holder ?? id, 'holder'),
      ttl,
      wait: checkWait(o.wait),
    };
    let sent = Date.now();
    const info = await ops.lock(req);
    if (Date.now() - sent > margin(ttl)) {
      // It waited: the lease ran from when the engine gave the lock, some time after the request
      // was sent. One renewal now, counted from its own send, bounds the lease again.
      sent = Date.now();
      await ops.renew({ name: info.name, token: info.token }).catch(async (err: unknown) => {
        await ops.unlock({ name: info.name, token: info.token }).catch(() => undefined);
        throw err;
      });
    }
    const control = new AbortController();
    const release = async (): Promise<void> => {
      held.delete(release);
      if (control.signal.aborted) return;
      keeper.stop();
      control.abort(new MicroError(SYNC_ID, 410, `lock ${name} was released`));
      await ops.unlock({ name, token: info.token }).catch(() => undefined);
    };
    const keeper = keep(
      ttl,
      sent,
      async () => {
        try {
          await ops.renew({ name, token: info.token });
          return 'ok';
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (code === 404 || isConflict(err)) return 'gone';
          throw err;
        }
      },
      (why) => {
        held.delete(release);
        control.abort(new MicroError(SYNC_ID, 410, `lock ${name} was lost: ${why}`));
      },
    );
    held.add(release);
    return {
      name,
      token: info.token,
      holder: info.holder,
      signal: control.signal,
      unlock: release,
    };
  };

  const elect = async (name: string, o: ElectOptions = {}): Promise<Candidacy> => {
    open();
    const req = { name: checkName(name), id: checkName(o.id ?? id, 'id'), ttl: checkTtl(o.ttl) };
    const ttl = req.ttl;
    let leading = false;
    let standing = false;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const depose = (): void => {
      clearTimeout(deadline);
      if (!leading) return;
      leading = false;
      o.onDeposed?.();
    };
    const schedule = (ms: number): void => {
      clearTimeout(timer);
      if (!stopped) timer = setTimeout(() => void campaign().catch(() => undefined), ms);
    };
    const campaign = async (): Promise<void> => {
      const sent = Date.now();
      let result;
      try {
        result = await ops.campaign(req);
      } catch (err) {
        // A standing candidate tries again soon; a first campaign that failed is no candidacy.
        if (standing) schedule(Math.min(ttl / 3, 250));
        throw err;
      }
      if (stopped) return;
      if (result.leading) {
        clearTimeout(deadline);
        deadline = setTimeout(depose, Math.max(0, sent + ttl - margin(ttl) - Date.now()));
        if (!leading) {
          leading = true;
          o.onElected?.(result.leader);
        }
        schedule(ttl / 3);
      } else {
        depose();
        // Stand again as soon as the leader's lease may have lapsed, and at least every ttl/3.
        const lapse = leaderExpiry(result.leader) - Date.now() + 20;
        schedule(Math.max(20, Math.min(ttl / 3, lapse)));
      }
    };
    const resign = async (): Promise<void> => {
      held.delete(resign);
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      depose();
      await ops.resign({ name, id: req.id }).catch(() => undefined);
    };
    await campaign();
    standing = true;
    held.add(resign);
    return {
      name,
      get leading() {
        return leading;
      },
      resign,
    };
  };

  return {
    name: options.name,
    address: options.address,
    lock,
    locks: async (o = {}) => {
      open();
      return ops.locks({ prefix: checkPrefix(o.prefix) });
    },
    elect,
    leader: async (name) => {
      open();
      return ops.leader({ name: checkName(name) });
    },
    leaders: async () => {
      open();
      return ops.leaders();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all([...held].map((release) => release()));
      await ops.close();
    },
  };
}

/** When the leader's lease lapses, if the engine said (`expiresAt`), else never. */
const leaderExpiry = (leader: LeaderInfo): number => leader.expiresAt ?? Number.POSITIVE_INFINITY;
