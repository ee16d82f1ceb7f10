// The bot's platform commands against a real control plane (its events, store, config, trace and
// logs services, through the bot's client): publish, store get/list, config get/set, traces and
// logs, as a user reads the answers; and a platform without those areas is a 503 that says so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroEvents } from '../../src/platform/events/client.ts';
import { createMicroLogs } from '../../src/platform/logs/client.ts';
import { createMicroTrace } from '../../src/platform/trace/client.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import {
  createClient,
  createMemoryRegistry,
  type Client,
  type Registry,
} from '../../src/runtime/index.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, greeterService } from '../helpers/fixtures.ts';
import { FAILED, PLAIN, sampleSpans } from '../helpers/trace-fixture.ts';
import { partsOf, run, tableOf, textOf } from './command-context.ts';

describe('the bot’s platform commands over a real control plane', () => {
  let plane: TestControlPlane;
  let registry: Registry;
  let client: Client;
  let t: { registry: Registry; client: Client };

  before(async () => {
    plane = await startTestControlPlane('micro-bot-platform-', {
      env: { MICRO_MONITOR_INTERVAL: '200' },
    });
    registry = createMicroRegistry({ address: plane.address });
    client = createClient({ registry });
    t = { registry, client };
  });
  after(() => closeAll(client, registry, plane));

  it('publish stores an event on a topic, where a reader finds it', async () => {
    const event = '{"id": 1, "item": "tea"}';
    const answer = await run(t, `publish orders ${event}`, ['orders', event]);
    const offset = /^published to orders at offset (\d+)$/.exec(textOf(answer))?.[1];
    assert.ok(offset, textOf(answer));
    const events = createMicroEvents({ client });
    try {
      const page = await events.read('orders', { from: Number(offset), limit: 1 });
      assert.deepEqual(page.events[0]?.data, { id: 1, item: 'tea' });
    } finally {
      await events.close();
    }
    await assert.rejects(run(t, 'publish orders {id: 1}', ['orders', '{id: 1}']), {
      code: 400,
    });
    await assert.rejects(run(t, 'publish orders'), { code: 400 });
  });

  it('store get and store list read what is stored, in a namespace the flags name', async () => {
    const ns = { database: 'shop', table: 'carts' };
    for (const key of ['cart/1', 'cart/2', 'user/1'])
      await client.call('store', 'Store.Put', { ...ns, key, value: { key, items: 2 } });
    const got = await run(t, 'store get cart/1 --database shop --table carts');
    assert.deepEqual(partsOf(got, 'json')[0]?.value, { key: 'cart/1', items: 2 });
    assert.match(textOf(got), /^cart\/1 in shop\/carts, version \S+$/);

    const listed = tableOf(await run(t, 'store list cart/ --database=shop --table carts'));
    assert.deepEqual(listed.header, ['KEY', 'VERSION', 'EXPIRES', 'VALUE']);
    assert.deepEqual(
      listed.rows.map((r) => [r[0], r[2], r[3]]),
      [
        ['cart/1', '-', '{"key":"cart/1","items":2}'],
        ['cart/2', '-', '{"key":"cart/2","items":2}'],
      ],
    );
    await assert.rejects(run(t, 'store get cart/9 --database shop --table carts'), {
      code: 404,
      detail: 'key "cart/9" not found in shop/carts',
    });
    assert.equal(textOf(await run(t, 'store list')), 'no keys in micro/default');
    await assert.rejects(run(t, 'store list --tabel carts'), (err) => {
      assert.equal((err as { code: number }).code, 400);
      assert.match(
        (err as Error).message,
        /--tabel is not a flag of store list; it takes --database, --table/,
      );
      return true;
    });
  });

  it('config set records the chat user as the author; config get reads it back', async () => {
    const set = await run(t, 'config set greeter db.pool {"max": 20}', [
      'greeter',
      'db.pool',
      '{"max": 20}',
    ]);
    assert.match(textOf(set), /^version \d+ of greeter: set db\.pool by stdin:ann$/);
    const got = await run(t, 'config get greeter db.pool.max');
    assert.deepEqual(partsOf(got, 'json')[0]?.value, 20);
    assert.match(textOf(got), /^db\.pool\.max \(namespace greeter, version \d+\)$/);
    // A bare word is a string, as the CLI's config set takes it.
    await run(t, 'config set greeter greeting hello');
    assert.deepEqual(
      partsOf(await run(t, 'config get greeter greeting'), 'json')[0]?.value,
      'hello',
    );
    const whole = partsOf(await run(t, 'config get greeter'), 'json')[0]?.value;
    assert.deepEqual(whole, { db: { pool: { max: 20 } }, greeting: 'hello' });
    await assert.rejects(run(t, 'config get greeter nothing.here'), { code: 404 });
    await assert.rejects(run(t, 'config set greeter db.pool {"max":'), { code: 400 });
  });

  it('traces lists the recent traces, newest first, by service', async () => {
    const trace = createMicroTrace({ client });
    try {
      await trace.write(sampleSpans());
    } finally {
      await trace.close();
    }
    const all = tableOf(await run(t, 'traces'));
    assert.deepEqual(all.header, ['TRACE', 'START', 'DURATION', 'SPANS', 'ERRORS', 'ROOT']);
    assert.deepEqual(
      all.rows.map((r) => r[0]),
      [PLAIN, FAILED],
    );
    const failed = all.rows.find((r) => r[0] === FAILED);
    assert.deepEqual([failed?.[3], failed?.[4]], ['4', '1']);
    // Only the failing trace went through the gateway (`api`).
    const api = tableOf(await run(t, 'traces api'));
    assert.deepEqual(
      api.rows.map((r) => r[0]),
      [FAILED],
    );
    assert.equal(textOf(await run(t, 'traces nobody')), 'no traces with a span of nobody');
  });

  it("logs shows a service's last lines, one each", async () => {
    const logs = createMicroLogs({ client });
    const now = Date.now();
    try {
      await logs.write([
        { time: now - 2, service: 'greeter', node: 'greeter-1', level: 'info', msg: 'started' },
        {
          time: now - 1,
          service: 'greeter',
          node: 'greeter-1',
          level: 'error',
          msg: 'call failed',
          fields: { code: 503, peer: 'store' },
        },
      ]);
    } finally {
      await logs.close();
    }
    const answer = await run(t, 'logs greeter');
    const [code] = partsOf(answer, 'code');
    assert.deepEqual(code?.text.split('\n'), [
      `${new Date(now - 2).toISOString()} INFO  greeter-1 started`,
      `${new Date(now - 1).toISOString()} ERROR greeter-1 call failed code=503 peer=store`,
    ]);
    assert.equal(
      textOf(await run(t, 'logs nobody')),
      "no lines of nobody in the control plane's logs",
    );
    await assert.rejects(run(t, 'logs bad!name'), { code: 400 });
  });

  it("health adds what the control plane's monitor saw to each node's probe", async () => {
    const greeter = greeterService(registry);
    await greeter.start();
    try {
      const deadline = Date.now() + 15_000;
      let row: string[] | undefined;
      // The monitor probes every 200 ms here: wait (bounded) for it to make up its mind.
      for (let i = 0; i < 300 && Date.now() < deadline; i++) {
        row = tableOf(await run(t, 'health greeter')).rows[0];
        if (row?.[7] !== '-') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(row?.[3], 'ok', 'probed now');
      assert.match(row?.[7] ?? '', /^healthy since \d{4}-/, 'as the monitor saw it');
    } finally {
      await greeter.stop();
    }
  });

  it('a platform without these areas (no control plane) is a 503 saying what to run', async () => {
    const bare = createMemoryRegistry();
    const bareClient = createClient({ registry: bare });
    try {
      const bot = { registry: bare, client: bareClient };
      for (const [text, service] of [
        ['logs greeter', 'logs'],
        ['traces', 'trace'],
        ['config get greeter', 'config'],
      ] as const)
        await assert.rejects(run(bot, text), {
          code: 503,
          detail: `no ${service} service answers in the registry: the platform's areas run in the control plane (micro run, micro server)`,
        });
      // The store's and the events' clients say so themselves.
      for (const text of ['store list', 'publish orders {}'])
        await assert.rejects(run(bot, text), (err) => {
          assert.equal((err as { code: number }).code, 503);
          assert.match((err as Error).message, /start the control plane with "micro run"/);
          return true;
        });
    } finally {
      await closeAll(bareClient, bare);
    }
  });
});
