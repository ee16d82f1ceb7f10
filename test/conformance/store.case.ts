// The store contract: one suite run unchanged against every Store (memory, SQLite, the control
// plane's client, etcd, Redis, NATS). Each test works in a database of its own, so engines shared
// between runs or tests need no cleaning.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Entry, Store, StoreEvent, StoreWatcher } from '../../src/platform/store/store.ts';
import { STORE_LIMITS } from '../../src/platform/store/store.ts';

/** What an implementation tells the suite about itself. */
export interface StoreCaseOptions {
  /** Milliseconds within which an entry whose 1 s lease ran out must be gone (default 5,000). */
  expiry?: number;
  /** Milliseconds to wait for a watch event (default 5,000). */
  settle?: number;
  /**
   * What transact takes: `atomic` (the default) any number of operations, all or none; `one` (NATS
   * KV, which has no multi-key transaction) one operation, refusing more with a 501 that says so.
   */
  transactions?: 'atomic' | 'one';
}

/** A database of this test's own. */
const fresh = (): string => `t-${randomUUID().slice(0, 13)}`;

/** Expects a store error with this code whose detail matches `detail`. */
async function refused(p: Promise<unknown> | (() => unknown), code: number, detail: RegExp) {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (err: { id?: string; code?: number; detail?: string }) => {
      assert.equal(err.code, code, `expected ${code}, got ${JSON.stringify(err)}`);
      assert.equal(err.id, 'store');
      assert.match(err.detail ?? '', detail);
      return true;
    },
  );
}

/** The next `n` events of a watcher, or a failure after `ms`. */
async function events(w: StoreWatcher, n: number, ms: number): Promise<StoreEvent[]> {
  const it = w[Symbol.asyncIterator]();
  const got: StoreEvent[] = [];
  const deadline = Date.now() + ms;
  while (got.length < n) {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>(
        (res) => (timer = setTimeout(() => res('timeout'), deadline - Date.now())),
      ),
    ]);
    clearTimeout(timer);
    if (r === 'timeout')
      throw new Error(`only ${got.length} of ${n} events: ${JSON.stringify(got)}`);
    if (r.done) throw new Error(`watcher ended after ${JSON.stringify(got)}`);
    got.push(r.value);
  }
  return got;
}

/** Polls `check` until it passes or `ms` ran out (for leases, which no event announces). */
async function eventually(check: () => Promise<void>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const keysOf = (entries: (Entry | undefined)[]): (string | undefined)[] =>
  entries.map((e) => e?.key);
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Runs the store contract against the stores `make` gives (one per suite, closed at its end). */
export function runStoreCases(
  name: string,
  make: () => Store | Promise<Store>,
  options: StoreCaseOptions = {},
): void {
  const expiry = options.expiry ?? 5000;
  const settle = options.settle ?? 5000;
  const atomic = (options.transactions ?? 'atomic') === 'atomic';

  describe(`store contract: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await make();
    });
    after(async () => {
      await store?.close();
    });

    it('puts, gets and deletes JSON values, with a new version on every write', async () => {
      const database = fresh();
      const value = {
        name: 'Ada',
        tags: ['a', 'b'],
        n: 1.5,
        ok: true,
        none: null,
        deep: { x: [1, { y: 'z' }] },
      };
      const first = await store.put('user/1', value, { database });
      assert.equal(first.key, 'user/1');
      assert.deepEqual(first.value, value);
      assert.equal(typeof first.version, 'string');
      assert.equal(first.expiresAt, undefined);
      const got = await store.get('user/1', { database });
      assert.deepEqual(got, first);
      got.value = 'changed by the caller';
      assert.deepEqual((await store.get('user/1', { database }))?.value, value);
      for (const v of ['text', 42, null, false, [1, 'two'], {}]) {
        const e = await store.put('scalar', v, { database });
        assert.deepEqual((await store.get('scalar', { database }))?.value, v);
        assert.equal((await store.get('scalar', { database }))?.version, e.version);
      }
      const second = await store.put('user/1', { name: 'Grace' }, { database });
      assert.notEqual(second.version, first.version);
      assert.equal(await store.delete('user/1', { database }), true);
      assert.equal(await store.get('user/1', { database }), undefined);
      assert.equal(await store.delete('user/1', { database }), false);
      assert.equal(await store.get('never', { database }), undefined);
    });

    it('compares and swaps on the version: a stale or missing version is a 409 naming the key, and nothing changes', async () => {
      const database = fresh();
      const v1 = await store.put('counter', 1, { database });
      const v2 = await store.put('counter', 2, { database, ifVersion: v1.version });
      assert.equal(v2.value, 2);
      await refused(store.put('counter', 3, { database, ifVersion: v1.version }), 409, /"counter"/);
      assert.deepEqual(await store.get('counter', { database }), v2);
      await refused(store.put('absent', 1, { database, ifVersion: v2.version }), 409, /"absent"/);
      assert.equal(await store.get('absent', { database }), undefined);
      await refused(store.delete('counter', { database, ifVersion: v1.version }), 409, /"counter"/);
      await refused(store.delete('absent', { database, ifVersion: v1.version }), 409, /"absent"/);
      assert.deepEqual(await store.get('counter', { database }), v2);
      assert.equal(await store.delete('counter', { database, ifVersion: v2.version }), true);
      // A version is never handed out again: the old one cannot match the key put anew.
      const v3 = await store.put('counter', 4, { database });
      assert.ok(![v1.version, v2.version].includes(v3.version));
      await refused(store.put('counter', 5, { database, ifVersion: v2.version }), 409, /counter/);
    });

    it('writes only when absent with ifAbsent: the first write wins, the second is a 409', async () => {
      const database = fresh();
      const won = await store.put('leader', 'a', { database, ifAbsent: true });
      await refused(store.put('leader', 'b', { database, ifAbsent: true }), 409, /"leader"/);
      assert.deepEqual(await store.get('leader', { database }), won);
      const results = await Promise.allSettled(
        ['x', 'y', 'z'].map((v) => store.put('race', v, { database, ifAbsent: true })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    });

    it('forgets an entry when its lease runs out, everywhere, and a put without ttl keeps it', async () => {
      const database = fresh();
      const t0 = Date.now();
      const leased = await store.put('session', { user: 1 }, { database, ttl: 1000 });
      assert.ok(
        typeof leased.expiresAt === 'number' && leased.expiresAt >= t0 + 900,
        `expiresAt ${leased.expiresAt}`,
      );
      await store.put('kept', 1, { database, ttl: 1000 });
      const kept = await store.put('kept', 2, { database });
      assert.equal(kept.expiresAt, undefined);
      await store.put('other', 1, { database, table: 'leases', ttl: 1000 });
      await eventually(async () => {
        assert.equal(await store.get('session', { database }), undefined);
      }, expiry);
      assert.deepEqual(await store.getMany(['session', 'kept'], { database }).then(keysOf), [
        undefined,
        'kept',
      ]);
      assert.deepEqual(keysOf((await store.list({ database })).entries), ['kept']);
      await eventually(async () => {
        const spaces = await store.namespaces();
        assert.ok(!spaces.some((s) => s.database === database && s.table === 'leases'));
      }, expiry);
      assert.deepEqual((await store.get('kept', { database }))?.value, 2);
    });

    it('applies a transaction whole, or not at all when one condition fails', async () => {
      const database = fresh();
      const a = await store.put('a', 1, { database });
      await store.put('gone', 1, { database });
      await refused(
        store.transact(
          [
            { op: 'put', key: 'b', value: 2 },
            { op: 'delete', key: 'gone' },
            { op: 'put', key: 'a', value: 3, ifVersion: 'stale-version' },
          ],
          { database },
        ),
        atomic ? 409 : 501,
        atomic ? /"a"/ : /one operation per transaction/,
      );
      assert.deepEqual(keysOf((await store.list({ database })).entries), ['a', 'gone']);
      const operations = [
        { op: 'put', key: 'b', value: 2, ifAbsent: true },
        { op: 'delete', key: 'gone' },
        { op: 'put', key: 'a', value: 3, ifVersion: a.version },
        { op: 'put', key: 'c', value: 'c', ttl: 60_000 },
      ] as const;
      // One store (NATS) takes one operation at a time: the same effects, one transaction each.
      const results = atomic
        ? await store.transact([...operations], { database })
        : await Promise.all(operations.map((op) => store.transact([op], { database }))).then((r) =>
            r.flat(),
          );
      if (!atomic)
        await refused(
          store.transact([{ op: 'put', key: 'a', value: 4, ifVersion: a.version }], { database }),
          409,
          /"a"/,
        );
      assert.deepEqual(
        results.map((r) => r?.value),
        [2, undefined, 3, 'c'],
      );
      assert.ok(results[3]?.expiresAt);
      const listed = (await store.list({ database })).entries;
      assert.deepEqual(
        listed.map((e) => [e.key, e.value]),
        [
          ['a', 3],
          ['b', 2],
          ['c', 'c'],
        ],
      );
      assert.deepEqual(await store.transact([], { database }), []);
    });

    it('gets many keys in the order asked, with a gap where there is none', async () => {
      const database = fresh();
      await store.put('k1', 1, { database });
      await store.put('k3', 3, { database });
      const got = await store.getMany(['k3', 'k2', 'k1', 'k3'], { database });
      assert.deepEqual(
        got.map((e) => e?.value),
        [3, undefined, 1, 3],
      );
      assert.deepEqual(await store.getMany([], { database }), []);
    });

    it('lists in pages in UTF-8 byte order, walking the cursor over every key once', async () => {
      const database = fresh();
      const keys = Array.from({ length: 23 }, (_, i) => `item/${String(i).padStart(2, '0')}`);
      await Promise.all(keys.map((k, i) => store.put(k, i, { database })));
      await store.put('other', 'x', { database });
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({
          database,
          prefix: 'item/',
          limit: 10,
          ...(cursor && { cursor }),
        });
        assert.ok(page.entries.length <= 10);
        for (const e of page.entries) assert.equal(e.value, keys.indexOf(e.key));
        seen.push(...page.entries.map((e) => e.key));
        cursor = page.next;
        pages++;
      } while (cursor !== undefined && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(seen, keys);
      const all = await store.list({ database, limit: 1000 });
      assert.deepEqual(keysOf(all.entries), [...keys, 'other']);
      assert.equal(all.next, undefined);
      const bare = await store.list({ database, prefix: 'item/', limit: 2, keysOnly: true });
      assert.deepEqual(keysOf(bare.entries), ['item/00', 'item/01']);
      assert.ok(bare.entries.every((e) => e.value === undefined && typeof e.version === 'string'));
      assert.equal(
        (await store.list({ database })).entries.length,
        24,
        'a page holds 100 by default',
      );
      assert.deepEqual((await store.list({ database, prefix: 'nothing/' })).entries, []);
    });

    it("keeps hierarchical keys with '/', and unicode keys in byte order", async () => {
      const database = fresh();
      const keys = [
        'a/b/c',
        'a/b',
        'ab',
        'Z',
        'é',
        '中文/键',
        '😀',
        '\uFFFD',
        'a b',
        'tab\there',
        '"quoted"',
        '%2F',
      ];
      for (const k of keys) await store.put(k, { k }, { database });
      for (const k of keys) assert.deepEqual((await store.get(k, { database }))?.value, { k });
      const listed = keysOf((await store.list({ database })).entries);
      assert.deepEqual(listed, [...keys].sort(byBytes));
      assert.deepEqual(keysOf((await store.list({ database, prefix: 'a/' })).entries), [
        'a/b',
        'a/b/c',
      ]);
      assert.deepEqual(keysOf((await store.list({ database, prefix: '中' })).entries), ['中文/键']);
    });

    it('keeps namespaces apart: the same key in two databases or tables are two entries', async () => {
      const one = fresh();
      const two = fresh();
      await store.put('shared', 'one/default', { database: one });
      await store.put('shared', 'one/t2', { database: one, table: 't2' });
      await store.put('shared', 'two/default', { database: two, table: 'default' });
      assert.equal((await store.get('shared', { database: one }))?.value, 'one/default');
      assert.equal((await store.get('shared', { database: one, table: 't2' }))?.value, 'one/t2');
      assert.equal((await store.get('shared', { database: two }))?.value, 'two/default');
      assert.equal((await store.list({ database: one, table: 't2' })).entries.length, 1);
      assert.equal(await store.delete('shared', { database: one }), true);
      assert.equal((await store.get('shared', { database: two }))?.value, 'two/default');
      const spaces = await store.namespaces();
      const mine = spaces.filter((s) => s.database === one || s.database === two);
      assert.deepEqual(
        mine,
        [
          { database: one, table: 't2' },
          { database: two, table: 'default' },
        ].sort((a, b) => byBytes(a.database, b.database)),
      );
      const key = `bare-${randomUUID()}`;
      await store.put(key, 'default namespace');
      assert.equal(
        (await store.get(key, { database: 'micro', table: 'default' }))?.value,
        'default namespace',
      );
      assert.equal(await store.delete(key), true);
    });

    it('reports puts and deletes of one key to its watcher, and of a prefix to its', async () => {
      const database = fresh();
      const onKey = store.watch({ database, key: 'cfg' });
      const onPrefix = store.watch({ database, prefix: 'jobs/' });
      const elsewhere = store.watch({ database: fresh(), prefix: '' });
      try {
        const put = await store.put('cfg', { on: true }, { database });
        await store.put('jobs/1', 'queued', { database });
        await store.put('cfgx', 'not watched', { database });
        await store.put('jobsx', 'not watched', { database });
        await store.delete('cfg', { database });
        const ops = [
          { op: 'put', key: 'jobs/2', value: 'queued' },
          { op: 'delete', key: 'jobs/1' },
        ] as const;
        if (atomic) await store.transact([...ops], { database });
        else for (const op of ops) await store.transact([op], { database });
        assert.deepEqual(await events(onKey, 2, settle), [
          { action: 'put', key: 'cfg', value: { on: true }, version: put.version },
          { action: 'delete', key: 'cfg' },
        ]);
        const jobs = await events(onPrefix, 3, settle);
        assert.deepEqual(
          jobs.map((e) => [e.action, e.key, e.value]),
          [
            ['put', 'jobs/1', 'queued'],
            ['put', 'jobs/2', 'queued'],
            ['delete', 'jobs/1', undefined],
          ],
        );
        // A later event in the watched namespace proves nothing of the other arrived before it.
        const db2 = await store.put('x', 'y', { database });
        assert.ok(db2);
      } finally {
        onKey.stop();
        onPrefix.stop();
      }
      const it2 = elsewhere[Symbol.asyncIterator]();
      elsewhere.stop();
      // Stopped: the watcher ends, having seen nothing of the other database.
      for (let i = 0; i < 10; i++) {
        const r = await it2.next();
        if (r.done) return;
        assert.fail(`a watcher of another database heard ${JSON.stringify(r.value)}`);
      }
    });

    it('refuses bad keys, names and options with a 400 naming the field, and stores nothing', async () => {
      const database = fresh();
      const bad: [string, () => Promise<unknown>, RegExp][] = [
        ['NUL key', () => store.put('a\0b', 1, { database }), /key.*NUL/],
        [
          '10 KB key',
          () => store.put('k'.repeat(10_240), 1, { database }),
          /key is 10240 bytes.*1024/,
        ],
        ['empty key', () => store.put('', 1, { database }), /key must not be empty/],
        [
          'number key',
          () => store.put(7 as unknown as string, 1, { database }),
          /key must be a string/,
        ],
        ['lone surrogate', () => store.put('x\uD800', 1, { database }), /key.*Unicode/],
        ['spaced database', () => store.put('k', 1, { database: 'a b' }), /database must be/],
        ['dotted path', () => store.put('k', 1, { database: '../etc' }), /database must be/],
        [
          'long table',
          () => store.put('k', 1, { database, table: 't'.repeat(129) }),
          /table must be/,
        ],
        ['NaN', () => store.put('k', Number.NaN, { database }), /value is NaN/],
        ['undefined', () => store.put('k', undefined, { database }), /value is undefined/],
        ['function', () => store.put('k', { f: () => 1 }, { database }), /value\.f is a function/],
        [
          'nested undefined',
          () => store.put('k', { a: [1, { b: undefined }] }, { database }),
          /value\.a\[1\]\.b is undefined/,
        ],
        ['instance', () => store.put('k', new Map(), { database }), /value is a Map/],
        ['bigint', () => store.put('k', { n: 1n }, { database }), /value\.n is a bigint/],
        [
          'oversized',
          () => store.put('k', 'x'.repeat(STORE_LIMITS.valueBytes), { database }),
          /value is 1048578 bytes.*1048576/,
        ],
        ['ttl 0', () => store.put('k', 1, { database, ttl: 0 }), /ttl must be from 1000/],
        [
          'ttl text',
          () => store.put('k', 1, { database, ttl: '30s' as unknown as number }),
          /ttl must be a whole number/,
        ],
        [
          'ttl fraction',
          () => store.put('k', 1, { database, ttl: 1500.5 }),
          /ttl must be a whole number/,
        ],
        [
          'ifVersion number',
          () => store.put('k', 1, { database, ifVersion: 3 as unknown as string }),
          /ifVersion must be/,
        ],
        [
          'ifAbsent text',
          () => store.put('k', 1, { database, ifAbsent: 'yes' as unknown as boolean }),
          /ifAbsent must be true or false/,
        ],
        [
          'both conditions',
          () => store.put('k', 1, { database, ifAbsent: true, ifVersion: '1' }),
          /ifVersion and ifAbsent/,
        ],
        [
          'unknown option',
          () => store.put('k', 1, { database, tll: 5000 } as never),
          /tll is not a field/,
        ],
        ['limit 0', () => store.list({ database, limit: 0 }), /limit must be/],
        ['limit 1001', () => store.list({ database, limit: 1001 }), /limit must be/],
        ['cursor', () => store.list({ database, cursor: '!not a cursor!' }), /cursor/],
        ['NUL prefix', () => store.list({ database, prefix: '\0' }), /prefix.*NUL/],
        [
          'many keys',
          () =>
            store.getMany(
              Array.from({ length: 1001 }, (_, i) => `k${i}`),
              { database },
            ),
          /keys has 1001 items/,
        ],
        [
          'keys not array',
          () => store.getMany('k' as unknown as string[], { database }),
          /keys must be an array/,
        ],
        [
          'bad op',
          () => store.transact([{ op: 'upsert', key: 'k', value: 1 } as never], { database }),
          /operations\[0\]\.op must be/,
        ],
        [
          'bad op value',
          () =>
            store.transact(
              [
                { op: 'put', key: 'k', value: 1 },
                { op: 'put', key: 'j', value: Number.NaN },
              ],
              { database },
            ),
          /operations\[1\]\.value is NaN/,
        ],
        [
          'twice',
          () =>
            store.transact(
              [
                { op: 'put', key: 'k', value: 1 },
                { op: 'delete', key: 'k' },
              ],
              { database },
            ),
          /operations\[1\]\.key repeats operations\[0\]\.key/,
        ],
        [
          'too many ops',
          () =>
            store.transact(
              Array.from({ length: 1001 }, (_, i) => ({
                op: 'put' as const,
                key: `k${i}`,
                value: i,
              })),
              { database },
            ),
          /operations has 1001 items/,
        ],
        ['delete NUL', () => store.delete('\0', { database }), /key.*NUL/],
        ['get bad db', () => store.get('k', { database: '' }), /database must be/],
      ];
      for (const [what, call, detail] of bad) {
        await assert.rejects(
          call,
          (err: { id?: string; code?: number; detail?: string }) => {
            assert.equal(err.code, 400, `${what}: ${JSON.stringify(err)}`);
            assert.equal(err.id, 'store', what);
            assert.match(err.detail ?? '', detail, what);
            return true;
          },
          `${what} was taken`,
        );
      }
      await refused(() => store.watch({ database, key: 'a', prefix: 'b' }), 400, /key and prefix/);
      await refused(() => store.watch({ database, key: 'a\0' }), 400, /key.*NUL/);
      assert.deepEqual((await store.list({ database })).entries, []);
      assert.ok(!(await store.namespaces()).some((s) => s.database === database));
    });

    it('stores a value of exactly the size limit', async () => {
      const database = fresh();
      const big = 'x'.repeat(STORE_LIMITS.valueBytes - 2);
      await store.put('big', big, { database });
      assert.equal((await store.get('big', { database }))?.value, big);
      assert.equal(await store.delete('big', { database }), true);
    });
  });
}
