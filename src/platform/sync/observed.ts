// The sync service's announcements on `micro.sync` (src/platform/events/platform.ts): SyncOps that
// call the engine's and emit what changed once it did: a lock taken, released (by its holder),
// lapsed (its lease ended unrenewed), and an election's leader changed.
//
// Limits: what this process sees of calls through it. A lapse is noticed by a check every second
// of the locks taken through it (and by the next Lock of that name), so it is announced up to a
// second late; locks taken before the control plane started are announced when released only. A
// leader change is noticed by the next Campaign, Leader, Leaders or Resign of that election.
import { printable } from '../../registry/printable.ts';
import { PLATFORM_TOPICS, type PlatformEmit, type PlatformSyncEvent } from '../events/platform.ts';
import type { SyncOps } from './ops.ts';
import type { LeaderInfo, LockInfo } from './sync.ts';

/** How often lapsed leases are looked for, in ms. */
const CHECK_EVERY = 1000;

const shown = (s: string): string => printable(s.length > 80 ? `${s.slice(0, 80)}...` : s, false);

/** ops, announcing its changes through emit. */
export function observedOps(ops: SyncOps, emit: PlatformEmit): SyncOps {
  /** Locks taken through here and not yet released or lapsed, by name. */
  const held = new Map<string, LockInfo>();
  /** The last leader announced per election: its id and term (`''`, 0: none). */
  const leaders = new Map<string, { id: string; term: number }>();
  const send = (
    action: PlatformSyncEvent['action'],
    name: string,
    holder: string,
    summary: string,
  ) => emit(PLATFORM_TOPICS.sync, { action, name, holder, summary });
  const lapsed = (l: LockInfo): void => {
    held.delete(l.name);
    send(
      'expire',
      l.name,
      l.holder,
      `lock ${shown(l.name)} held by ${shown(l.holder)} expired (lease not renewed)`,
    );
  };
  const check = setInterval(() => {
    const now = Date.now();
    for (const l of [...held.values()]) if (l.expiresAt <= now) lapsed(l);
  }, CHECK_EVERY);
  check.unref();
  const led = (name: string, leader: LeaderInfo | undefined): void => {
    const id = leader?.id ?? '';
    const term = leader?.term ?? 0;
    const last = leaders.get(name);
    if (last ? last.id === id && last.term === term : id === '') return;
    leaders.set(name, { id, term });
    send(
      'leader',
      name,
      id,
      id === ''
        ? `election ${shown(name)} has no leader`
        : `${shown(id)} leads ${shown(name)} (term ${term})`,
    );
  };

  return {
    lock: async (req) => {
      const info = await ops.lock(req);
      const before = held.get(info.name);
      if (before) lapsed(before);
      held.set(info.name, info);
      send(
        'lock',
        info.name,
        info.holder,
        `lock ${shown(info.name)} taken by ${shown(info.holder)} (token ${info.token})`,
      );
      return info;
    },
    renew: async (req) => {
      const info = await ops.renew(req);
      held.set(info.name, info);
      return info;
    },
    unlock: async (req) => {
      let holder = held.get(req.name);
      if (holder?.token !== req.token)
        holder = (await ops.locks({ prefix: req.name })).find(
          (l) => l.name === req.name && l.token === req.token,
        );
      await ops.unlock(req);
      if (!holder) return;
      if (held.get(req.name)?.token === req.token) held.delete(req.name);
      send(
        'unlock',
        req.name,
        holder.holder,
        `lock ${shown(req.name)} released by ${shown(holder.holder)}`,
      );
    },
    locks: (req) => ops.locks(req),
    campaign: async (req) => {
      const result = await ops.campaign(req);
      led(req.name, result.leader);
      return result;
    },
    resign: async (req) => {
      await ops.resign(req);
      led(req.name, await ops.leader({ name: req.name }));
    },
    leader: async (req) => {
      const leader = await ops.leader(req);
      led(req.name, leader);
      return leader;
    },
    leaders: async () => {
      const all = await ops.leaders();
      for (const l of all) led(l.name, l);
      return all;
    },
    candidates: (req) => ops.candidates(req),
    close: async () => {
      clearInterval(check);
      await ops.close();
    },
  };
}
