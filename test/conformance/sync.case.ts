import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { SyncOps } from '../../src/platform/sync/ops.ts';
import type { LeaderInfo, Sync } from '../../src/platform/sync/sync.ts';

/** A sync implementation as the suite uses it: several clients of one backend. */
export interface SyncSetup {
  /** A new sync on the shared backend with its own connection, as another process would have. */
  open(id: string): Sync;
  /** The backend's raw operations: a holder that never renews, like a process that died. */
  ops: SyncOps;
  stop(): Promise<void>;
}

/** Resolves when `fire` is called, or rejects after ms naming what did not happen. */
function signal<T = void>(what: string, ms = 10_000): { fire: (v: T) => void; fired: Promise<T> } {
  let fire!: (v: T) => void;
  const fired = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    fire = (v) => {
      clearTimeout(timer);
      resolve(v);
    };
  });
  return { fire, fired };
}

const status = (code: number) => (err: unknown) => {
  assert.equal((err as { code?: unknown }).code, code, String(err));
  assert.equal(typeof (err as { detail?: unknown }).detail, 'string');
  return true;
};

/** The sync contract, run unchanged against every implementation. */
export function runSyncCases(label: string, setup: () => Promise<SyncSetup>): void {
  describe(`sync contract: ${label}`, () => {
    let s: SyncSetup;
    const open: Sync[] = [];
    const sync = (id: string): Sync => {
      const made = s.open(id);
      open.push(made);
      return made;
    };
    let a: Sync;
    let b: Sync;
    const fresh = () => `test/${randomUUID()}`;

    before(async () => {
      s = await setup();
      a = sync('a');
      b = sync('b');
    });
    after(async () => {
      await Promise.all(open.map((x) => x.close()));
      await s?.ops.close();
      await s?.stop();
    });

    it('gives a lock to one holder at a time: a second caller gets a 409 naming the holder', async () => {
      const name = fresh();
      const lock = await a.lock(name, { ttl: 5000 });
      assert.equal(lock.holder, 'a');
      assert.equal(lock.signal.aborted, false);
      await assert.rejects(b.lock(name), (err) => {
        status(409)(err);
        assert.match((err as Error).message, /held by a/);
        return true;
      });
      const listed = (await b.locks({ prefix: name })).map((l) => [l.name, l.holder, l.token]);
      assert.deepEqual(listed, [[name, 'a', lock.token]]);
      await lock.unlock();
    });

    it('hands the lock to a waiting caller when the holder unlocks, with a greater token', async () => {
      const name = fresh();
      const first = await a.lock(name, { ttl: 5000 });
      const waiting = b.lock(name, { ttl: 5000, wait: 10_000 });
      await first.unlock();
      assert.equal(first.signal.aborted, true, 'an unlocked lock is no longer held');
      const second = await waiting;
      assert.equal(second.holder, 'b');
      assert.ok(second.token > first.token, `${second.token} > ${first.token}`);
      await second.unlock();
      assert.deepEqual(await a.locks({ prefix: name }), []);
    });

    it('gives every acquisition of a name a greater fencing token', async () => {
      const name = fresh();
      const tokens: number[] = [];
      for (const holder of [a, b, a]) {
        const l = await holder.lock(name);
        tokens.push(l.token);
        await l.unlock();
      }
      for (let i = 1; i < tokens.length; i++)
        assert.ok((tokens[i] ?? 0) > (tokens[i - 1] ?? 0), `tokens grow: ${tokens.join(', ')}`);
    });

    it('keeps a lock past its lease while its holder lives and renews it', async () => {
      const name = fresh();
      const lock = await a.lock(name, { ttl: 1000 });
      await delay(2500);
      assert.equal(lock.signal.aborted, false);
      await assert.rejects(b.lock(name), status(409));
      await lock.unlock();
    });

    it('frees the lock of a holder that stopped renewing once its lease lapses', async () => {
      const name = fresh();
      const dead = await s.ops.lock({ name, holder: 'dead', ttl: 1000, wait: 0 });
      await assert.rejects(b.lock(name), status(409));
      const taken = await b.lock(name, { ttl: 1000, wait: 10_000 });
      assert.equal(taken.holder, 'b');
      assert.ok(taken.token > dead.token, `${taken.token} > ${dead.token}`);
      await assert.rejects(s.ops.renew({ name, token: dead.token }), status(404));
      // A lock got after a wait as long as its lease is kept like any other.
      await delay(1500);
      assert.equal(taken.signal.aborted, false, String(taken.signal.reason));
      await assert.rejects(a.lock(name), status(409));
      await taken.unlock();
    });

    it('releases its locks on close', async () => {
      const name = fresh();
      const c = sync('c');
      const lock = await c.lock(name);
      await c.close();
      assert.equal(lock.signal.aborted, true);
      (await b.lock(name)).unlock().catch(() => undefined);
    });

    it('elects one leader among candidates, tells it, and names it in leader() and leaders()', async () => {
      const name = fresh();
      const elected = signal<LeaderInfo>('onElected of a');
      const ca = await a.elect(name, { ttl: 3000, onElected: elected.fire });
      let bLed = false;
      const cb = await b.elect(name, { ttl: 3000, onElected: () => (bLed = true) });
      assert.equal(ca.leading, true);
      assert.equal(cb.leading, false);
      const info = await elected.fired;
      assert.equal(info.id, 'a');
      assert.equal((await b.leader(name))?.id, 'a');
      assert.ok((await b.leaders()).some((l) => l.name === name && l.id === 'a'));
      assert.equal(bLed, false, 'b never led while a did');
      await cb.resign();
      await ca.resign();
    });

    it('hands leadership over when the leader resigns, with a greater term', async () => {
      const name = fresh();
      const deposed = signal('onDeposed of a');
      const elected = signal<LeaderInfo>('onElected of b');
      const ca = await a.elect(name, { ttl: 3000, onDeposed: deposed.fire });
      const first = await a.leader(name);
      const cb = await b.elect(name, { ttl: 3000, onElected: elected.fire });
      await ca.resign();
      await deposed.fired;
      assert.equal(ca.leading, false);
      const info = await elected.fired;
      assert.equal(cb.leading, true);
      assert.equal(info.id, 'b');
      assert.equal((await a.leader(name))?.id, 'b');
      assert.ok(info.term > (first?.term ?? Infinity), `${info.term} > ${first?.term}`);
      await cb.resign();
    });

    it('takes over from a leader that stopped renewing once its lease lapses', async () => {
      const name = fresh();
      await s.ops.campaign({ name, id: 'dead', ttl: 1000 });
      const elected = signal<LeaderInfo>('onElected of a');
      const ca = await a.elect(name, { ttl: 3000, onElected: elected.fire });
      assert.equal((await b.leader(name))?.id, 'dead');
      assert.equal((await elected.fired).id, 'a');
      assert.equal((await b.leader(name))?.id, 'a');
      await ca.resign();
    });

    it('has no leader for an election nobody stands in', async () => {
      assert.equal(await a.leader(fresh()), undefined);
    });

    it('refuses bad names, leases and waits with a 400, and takes none of them', async () => {
      const bad: [string, () => Promise<unknown>][] = [
        ['empty name', () => a.lock('')],
        ['10 KB name', () => a.lock('x'.repeat(10_240))],
        ['NUL in a name', () => a.lock('a\u0000b')],
        ['name not a string', () => a.lock(42 as unknown as string)],
        ['ttl under 1 s', () => a.lock(fresh(), { ttl: 10 })],
        ['fractional ttl', () => a.lock(fresh(), { ttl: 1500.5 })],
        ['ttl as a string', () => a.lock(fresh(), { ttl: '5s' as unknown as number })],
        ['negative wait', () => a.lock(fresh(), { wait: -1 })],
        ['empty holder', () => a.lock(fresh(), { holder: '' })],
        ['empty election', () => a.elect('')],
        ['election ttl 0', () => a.elect(fresh(), { ttl: 0 })],
        ['leader of nothing', () => a.leader('')],
        ['prefix not a string', () => a.locks({ prefix: 5 as unknown as string })],
      ];
      for (const [what, attempt] of bad) await assert.rejects(attempt(), status(400), what);
      assert.deepEqual(
        (await a.locks()).filter((l) => !l.name.startsWith('test/')),
        [],
        'nothing was locked',
      );
      const slashed = await a.lock(`${fresh()}/with/slashes`);
      assert.ok(slashed.token > 0);
      await slashed.unlock();
    });
  });
}
