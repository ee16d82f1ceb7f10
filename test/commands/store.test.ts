import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroStore } from '../../src/platform/store/client.ts';
import type { Store } from '../../src/platform/store/store.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { errorOf, micro } from '../helpers/cli.ts';
import type { RunningServer } from '../helpers/server-process.ts';

describe('micro store', () => {
  let cp: RunningServer;
  let store: Store;
  let flag: string[];
  before(async () => {
    cp = await startTestControlPlane();
    flag = ['--registry-address', cp.address];
    store = createMicroStore({ address: cp.address });
  });
  after(async () => {
    await store.close();
    await cp.stop();
  });

  it('puts JSON and bare words, gets them back, lists and deletes', async () => {
    const put = await micro(['store', 'put', 'user/1', '{"name":"Ann"}', ...flag]);
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /^user\/1 is at version \d+\n$/);
    await micro(['store', 'put', 'greeting', 'hello', '--ttl', '1h', ...flag]);
    assert.equal((await store.get('greeting'))?.value, 'hello');
    assert.ok((await store.get('greeting'))!.expiresAt! > Date.now() + 3_500_000);
    const got = await micro(['store', 'get', 'user/1', ...flag]);
    assert.deepEqual(JSON.parse(got.stdout), { name: 'Ann' });
    const entry = await micro(['store', 'get', 'user/1', '-o', 'json', ...flag]);
    assert.deepEqual(JSON.parse(entry.stdout), await store.get('user/1'));
    const list = await micro(['store', 'list', ...flag]);
    assert.match(
      list.stdout,
      /^KEY +VERSION +EXPIRES +VALUE\ngreeting +\d+ +\d{4}-.* +"hello"\nuser\/1 +\d+ +- +\{"name":"Ann"\}\n$/,
    );
    const json = await micro(['store', 'list', 'user/', '-o', 'json', ...flag]);
    assert.deepEqual(JSON.parse(json.stdout), [await store.get('user/1')]);
    const del = await micro(['store', 'delete', 'user/1', ...flag]);
    assert.equal(del.stdout, 'deleted user/1\n');
    assert.equal(await store.get('user/1'), undefined);
  });

  it('keeps to --database and --table, and lists past one page with --limit', async () => {
    const ns = ['--database', 'cli', '--table', 'pages'];
    for (const start of [0, 600])
      await store.transact(
        Array.from({ length: 600 }, (_, i) => ({
          op: 'put' as const,
          key: `k${String(start + i).padStart(4, '0')}`,
          value: start + i,
        })),
        { database: 'cli', table: 'pages' },
      );
    const all = await micro(['store', 'list', '-o', 'json', ...ns, ...flag]);
    const keys = (JSON.parse(all.stdout) as { key: string }[]).map((e) => e.key);
    assert.equal(keys.length, 1200);
    assert.equal(keys[1199], 'k1199');
    const some = await micro(['store', 'list', 'k11', '--limit', '3', ...ns, ...flag]);
    assert.equal(some.stdout.trim().split('\n').length, 4);
    const none = await micro(['store', 'list', ...flag, '--database', 'empty']);
    assert.equal(none.stdout, 'no keys in empty/default\n');
  });

  it('fails with the error shape and a non-zero exit: not found, stale version, bad input', async () => {
    const missing = await micro(['store', 'get', 'nope', ...flag]);
    assert.equal(missing.code, 1);
    assert.deepEqual(errorOf(missing), {
      id: 'store',
      code: 404,
      detail: 'key "nope" not found in micro/default',
      status: 'Not Found',
    });
    await store.put('cas', 1);
    const stale = await micro(['store', 'put', 'cas', '2', '--if-version', '999999', ...flag]);
    assert.equal(stale.code, 1);
    assert.equal(errorOf(stale).code, 409);
    assert.match(errorOf(stale).detail, /key "cas" is at version \d+, not 999999/);
    const big = await micro(['store', 'put', 'k'.repeat(10_240), '1', ...flag]);
    assert.equal(errorOf(big).code, 400);
    assert.match(errorOf(big).detail, /key is 10240 bytes/);
    const ttl = await micro(['store', 'put', 'k', '1', '--ttl', 'soon', ...flag]);
    assert.match(errorOf(ttl).detail, /--ttl "soon" is not a duration/);
    const db = await micro(['store', 'get', 'k', '--database', 'no spaces', ...flag]);
    assert.match(errorOf(db).detail, /database must be/);
    const engine = await micro(['store', 'get', 'k', '--store', 'floppy', ...flag]);
    assert.match(errorOf(engine).detail, /unknown store "floppy".*micro, memory/);
    assert.equal(await store.get('k'), undefined);
  });

  it('refuses broken JSON, numbers JSON cannot carry and bad counts, and reads - from stdin', async () => {
    for (const value of ['{"a":', '{not json', '[1,', '"open'])
      assert.match(
        errorOf(await micro(['store', 'put', 'typo', value, ...flag])).detail,
        /the value is not valid JSON/,
        value,
      );
    const huge = await micro([
      'call',
      'store',
      'Store.Put',
      '{"key":"typo","value":1e999}',
      ...flag,
    ]);
    assert.equal(huge.code, 1);
    assert.match(errorOf(huge).detail, /too large for JSON/);
    assert.equal(await store.get('typo'), undefined, 'nothing stored');
    const piped = await micro(['store', 'put', 'piped', '-', ...flag], { input: '{"n":5}\n' });
    assert.equal(piped.code, 0, piped.stderr);
    assert.deepEqual((await store.get('piped'))?.value, { n: 5 });
    for (const args of [
      ['list', '--limit', '0'],
      ['list', '--limit', '-1'],
      ['watch', '--count', '0'],
      ['watch', '--count', '1.5'],
    ])
      assert.match(
        errorOf(await micro(['store', ...args, ...flag])).detail,
        /must be a whole number of at least 1/,
        args.join(' '),
      );
  });

  it('prints each change a watch sees as a JSON line', async () => {
    const watching = micro(['store', 'watch', 'jobs/', '--count', '2', ...flag]);
    // The watch is in place once the CLI is connected; keep writing until it has seen two changes.
    let n = 0;
    const done = { v: false };
    void watching.then(() => (done.v = true));
    while (!done.v && n < 200) {
      await store.put(`jobs/${n++}`, 'queued');
      await new Promise((r) => setTimeout(r, 50));
    }
    const run = await watching;
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; key: string });
    assert.equal(lines.length, 2);
    assert.ok(lines.every((e) => e.action === 'put' && e.key.startsWith('jobs/')));
  });
});
