import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Config, ConfigEvent, ConfigWatcher } from '../../src/platform/config/config.ts';

/** What an implementation declares about itself to the suite. */
export interface ConfigCaseOptions {
  /** Two instances made by `make` share one store (etcd, the control plane): changes from both count. */
  shared?: boolean;
}

/** A namespace no other test uses. */
const fresh = (): string => `ns-${randomBytes(5).toString('hex')}`;

/** Asserts that a promise fails with the error shape's code and a detail matching `detail`. */
async function refused(p: Promise<unknown>, code: number, detail: RegExp): Promise<void> {
  await assert.rejects(p, (e: { code?: unknown; detail?: unknown; id?: unknown }) => {
    assert.equal(e.code, code, String(e.detail));
    assert.match(String(e.detail), detail);
    assert.equal(typeof e.id, 'string');
    return true;
  });
}

/** The next event of a watcher, or a failure after 10 s. */
async function next(w: ConfigWatcher): Promise<ConfigEvent> {
  const it = w[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    it.next(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no watch event within 10 s')), 10_000);
    }),
  ]);
  clearTimeout(timer);
  assert.equal(r.done, false, 'the watcher ended');
  return r.value;
}

/** Runs the config contract against an implementation made by `make`. */
export function runConfigCases(
  label: string,
  make: () => Config | Promise<Config>,
  options: ConfigCaseOptions = {},
): void {
  describe(`config contract: ${label}`, () => {
    let config: Config;
    before(async () => {
      config = await make();
    });
    after(async () => {
      await config.close();
    });

    it('records every change as a new version with who made it, newest first', async () => {
      const namespace = fresh();
      assert.deepEqual(await config.get('', { namespace }), { value: {}, version: 0 });
      assert.deepEqual(await config.get('db.pool', { namespace }), {
        value: undefined,
        version: 0,
      });
      const v1 = await config.set('db.pool.max', 10, { namespace, author: 'alice' });
      assert.equal(v1.version, 1);
      assert.equal(v1.action, 'set');
      assert.equal(v1.path, 'db.pool.max');
      assert.equal(v1.author, 'alice');
      assert.ok(Math.abs(v1.at - Date.now()) < 60_000);
      const v2 = await config.set('db.host', 'a.local', { namespace, author: 'bob' });
      assert.equal(v2.version, 2);
      assert.deepEqual(await config.get('db', { namespace }), {
        value: { pool: { max: 10 }, host: 'a.local' },
        version: 2,
      });
      const v3 = await config.delete('db.pool', { namespace, author: 'carol' });
      assert.deepEqual(v3.action, 'delete');
      assert.deepEqual(await config.get('', { namespace }), {
        value: { db: { host: 'a.local' } },
        version: 3,
      });
      const history = await config.history({ namespace });
      assert.deepEqual(
        history.map((h) => [h.version, h.action, h.path, h.author]),
        [
          [3, 'delete', 'db.pool', 'carol'],
          [2, 'set', 'db.host', 'bob'],
          [1, 'set', 'db.pool.max', 'alice'],
        ],
      );
      assert.deepEqual(
        (await config.history({ namespace, limit: 1, before: 3 })).map((h) => h.version),
        [2],
      );
      assert.ok((await config.namespaces()).includes(namespace));
    });

    it('reads the tree at any kept version, and diffs two versions by path', async () => {
      const namespace = fresh();
      await config.set('', { a: 1, b: { c: true, d: [1, 2] } }, { namespace });
      await config.set('b.c', false, { namespace });
      await config.delete('a', { namespace });
      await config.set('e', 'new', { namespace });
      assert.deepEqual(await config.at(1, { namespace }), { a: 1, b: { c: true, d: [1, 2] } });
      assert.deepEqual(await config.at(3, { namespace }), { b: { c: false, d: [1, 2] } });
      assert.deepEqual(await config.diff(1, 4, { namespace }), [
        { path: 'a', before: 1 },
        { path: 'b.c', before: true, after: false },
        { path: 'e', after: 'new' },
      ]);
      assert.deepEqual(await config.diff(3, undefined, { namespace }), [
        { path: 'e', after: 'new' },
      ]);
      await refused(config.at(9, { namespace }), 404, /version: namespace .* has no version 9/);
    });

    it('rolls back to a version as a new version', async () => {
      const namespace = fresh();
      await config.set('feature', { on: false }, { namespace });
      await config.set('feature.on', true, { namespace });
      await config.set('limit', 5, { namespace });
      const v = await config.rollback(1, { namespace, author: 'ops' });
      assert.equal(v.version, 4);
      assert.equal(v.action, 'rollback');
      assert.equal(v.from, 1);
      assert.equal(v.author, 'ops');
      assert.deepEqual((await config.get('', { namespace })).value, { feature: { on: false } });
      assert.deepEqual(await config.diff(3, 4, { namespace }), [
        { path: 'feature.on', before: true, after: false },
        { path: 'limit', before: 5 },
      ]);
    });

    it('reports each version touching a watched path, and only those', async () => {
      const namespace = fresh();
      const w = config.watch('db.pool', { namespace });
      await w.ready;
      try {
        await config.set('other', 1, { namespace });
        await config.set('db.pool.max', 20, { namespace, author: 'alice' });
        assert.deepEqual(await next(w), {
          path: 'db.pool.max',
          value: 20,
          version: 2,
          author: 'alice',
        });
        await config.set('db', { pool: { max: 30 }, host: 'h' }, { namespace, author: 'bob' });
        assert.deepEqual(await next(w), {
          path: 'db.pool',
          value: { max: 30 },
          version: 3,
          author: 'bob',
        });
        await config.delete('db.pool', { namespace, author: 'bob' });
        const gone = await next(w);
        assert.equal(gone.version, 4);
        assert.equal(gone.value, undefined);
        await config.rollback(2, { namespace, author: 'ops' });
        assert.deepEqual(await next(w), {
          path: 'db.pool',
          value: { max: 20 },
          version: 5,
          author: 'ops',
        });
      } finally {
        w.stop();
      }
    });

    it('refuses a change that fails the schema with a 400 naming the path and the rule, storing nothing', async () => {
      const namespace = fresh();
      await config.set('db.pool.max', 10, { namespace });
      const schema = {
        type: 'object',
        properties: {
          db: {
            type: 'object',
            properties: {
              pool: {
                type: 'object',
                properties: { max: { type: 'integer', maximum: 100 } },
                required: ['max'],
              },
            },
          },
        },
      };
      await config.setSchema(schema, { namespace });
      assert.deepEqual(await config.schema({ namespace }), schema);
      await refused(
        config.set('db.pool.max', 500, { namespace }),
        400,
        /db\.pool\.max: must be <= 100 \(maximum\)/,
      );
      await refused(
        config.delete('db.pool.max', { namespace }),
        400,
        /db\.pool\.max: .*\(required\)/,
      );
      assert.deepEqual(await config.get('', { namespace }), {
        value: { db: { pool: { max: 10 } } },
        version: 1,
      });
      assert.equal((await config.history({ namespace })).length, 1);
      await config.set('db.pool.max', 100, { namespace });
      // A schema the tree already breaks is refused too; removing it lets anything through.
      await refused(
        config.setSchema({ properties: { db: { type: 'string' } } }, { namespace }),
        400,
        /db: must be string \(type\)/,
      );
      await config.setSchema(undefined, { namespace });
      assert.equal(await config.schema({ namespace }), undefined);
      assert.equal((await config.set('db.pool.max', 500, { namespace })).version, 3);
    });

    it('refuses a rollback to a tree the schema now refuses', async () => {
      const namespace = fresh();
      await config.set('port', 'eighty', { namespace });
      await config.set('port', 80, { namespace });
      await config.setSchema({ properties: { port: { type: 'integer' } } }, { namespace });
      await refused(config.rollback(1, { namespace }), 400, /port: must be integer \(type\)/);
      assert.equal((await config.get('port', { namespace })).version, 2);
    });

    it('applies a change with ifVersion only at that version: a stale one is a 409, storing nothing', async () => {
      const namespace = fresh();
      const v1 = await config.set('a', 1, { namespace, ifVersion: 0 });
      await config.set('a', 2, { namespace, ifVersion: v1.version });
      await refused(config.set('a', 3, { namespace, ifVersion: 1 }), 409, /ifVersion 1 is stale/);
      await refused(config.delete('a', { namespace, ifVersion: 1 }), 409, /stale/);
      await refused(config.rollback(1, { namespace, ifVersion: 1 }), 409, /stale/);
      assert.deepEqual(await config.get('a', { namespace }), { value: 2, version: 2 });
    });

    it('keeps every one of many concurrent changes, each its own version', async () => {
      const namespace = fresh();
      const other = options.shared ? await make() : config;
      try {
        const made = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? other : config).set(`k${i}`, i, { namespace }),
          ),
        );
        assert.deepEqual(
          made.map((v) => v.version).sort((a, b) => a - b),
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        const tree = (await config.get('', { namespace })).value as Record<string, number>;
        assert.equal(Object.keys(tree).length, 20);
      } finally {
        if (other !== config) await other.close();
      }
    });

    it('answers bad paths, values, versions and namespaces with a 400 naming the field', async () => {
      const namespace = fresh();
      await refused(config.set('a\u0000b', 1, { namespace }), 400, /path "a\\u0000b": segment 1/);
      await refused(config.get('x'.repeat(10_240), { namespace }), 400, /path is 10240 characters/);
      await refused(config.set(`a.${'y'.repeat(200)}`, 1, { namespace }), 400, /segment 2 is 200/);
      await refused(config.set('a..b', 1, { namespace }), 400, /segment 2 is empty/);
      await refused(config.set('a/b', 1, { namespace }), 400, /path "a\/b": segment 1/);
      await refused(config.set(5 as never, 1, { namespace }), 400, /^path must be a string/);
      await refused(config.set('a', undefined, { namespace }), 400, /value is required/);
      await refused(config.set('', 5, { namespace }), 400, /value: the whole tree/);
      await refused(
        config.set('big', 'x'.repeat(1024 * 1024 + 1), { namespace }),
        400,
        /over the limit of 1048576/,
      );
      await refused(config.get('a', { namespace: 'bad\u0000ns' }), 400, /namespace "bad\\u0000ns"/);
      await refused(config.get('a', { namespace: 'n'.repeat(10_240) }), 400, /namespace is 10240/);
      await refused(config.at('1' as never, { namespace }), 400, /version must be an integer/);
      await refused(config.set('a', 1, { namespace, ifVersion: -1 }), 400, /ifVersion must be/);
      await refused(config.history({ namespace, limit: 0 }), 400, /limit must be/);
      await refused(
        config.setSchema({ type: 'nonsense' }, { namespace }),
        400,
        /schema is not a valid/,
      );
      await refused(config.delete('nothing.here', { namespace }), 404, /no value/);
      await config.set('n', 5, { namespace });
      await refused(config.set('n.deeper', 1, { namespace }), 400, /path: n holds a number/);
      assert.deepEqual(await config.get('', { namespace }), { value: { n: 5 }, version: 1 });
      assert.equal((await config.history({ namespace })).length, 1);
    });

    it('keeps values as given: a later change of the caller’s object changes nothing', async () => {
      const namespace = fresh();
      const value = { list: [1, 2], name: 'x' };
      await config.set('obj', value, { namespace });
      value.list.push(3);
      const got = (await config.get('obj', { namespace })).value as { list: number[] };
      assert.deepEqual(got, { list: [1, 2], name: 'x' });
      got.list.push(4);
      assert.deepEqual((await config.get('obj.list', { namespace })).value, [1, 2]);
    });
  });
}
