// The dashboard's events and db routes over real HTTP, against the in-memory engines: reads and
// writes reach the interfaces; hostile requests get 400s (unknown, mistyped and oversized fields),
// 403s (a foreign Origin, a form post) and 421s (a foreign Host), and store nothing; long values are
// listed cut; the platform events stream is bounded and filtered before it is sent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMemoryDb } from '../../../src/platform/db/index.ts';
import type { Db } from '../../../src/platform/db/db.ts';
import { createMemoryEvents } from '../../../src/platform/events/index.ts';
import type { Events } from '../../../src/platform/events/events.ts';
import { createMemoryRegistry } from '../../../src/registry/index.ts';
import { createClient, type Client, type Registry } from '../../../src/runtime/index.ts';
import { startWeb, type Web } from '../../../src/ui/web/index.ts';
import { closeAll, postJson } from '../../helpers/fixtures.ts';
import { openEventStream } from '../../helpers/event-stream.ts';
import { requestAs } from '../../helpers/raw-http.ts';

type Failed = { error: { code: number; detail: string } };

describe('the dashboard: db routes', () => {
  let registry: Registry;
  let client: Client;
  let db: Db;
  let web: Web;
  let bare: Web;
  let base = '';
  const at = { database: 'shop', collection: 'orders' };

  before(async () => {
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
    db = createMemoryDb();
    web = await startWeb({ address: '127.0.0.1:0', registry, client, db });
    bare = await startWeb({ address: '127.0.0.1:0', registry, client });
    base = `http://${web.address}`;
  });
  after(() => closeAll(web, bare, client, db, registry));

  const getJson = async <T = Failed>(
    path: string,
    from = base,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${from}/_/api/${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };
  const post = async <T = Failed>(
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await postJson(`${base}/_/api/${path}`, body);
    return { status: res.status, body: (await res.json()) as T };
  };
  type Rec = { id: string; version: number; data: Record<string, unknown>; dataBytes?: number };

  it('creates, reads, queries (where, sort, cursor), updates and deletes records', async () => {
    for (const [id, total, status] of [
      ['o1', 5, 'open'],
      ['o2', 20, 'open'],
      ['o3', 12, 'paid'],
      ['o4', 30, 'open'],
    ] as const) {
      const r = await post<Rec>('db/create', { ...at, id, data: { total, status } });
      assert.equal(r.status, 200);
      assert.equal(r.body.version, 1);
    }
    const cols = await getJson<{ collections: { collection: string; count: number }[] }>(
      'db/collections',
    );
    assert.deepEqual(
      cols.body.collections.map((c) => [c.collection, c.count]),
      [['orders', 4]],
    );
    const where = encodeURIComponent(JSON.stringify({ status: 'open', total: { $gte: 10 } }));
    const q = `db/query?database=shop&collection=orders&where=${where}&sort=-total&limit=1`;
    const first = await getJson<{ records: Rec[]; next?: string }>(q);
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.records.map((r) => r.id),
      ['o4'],
    );
    const second = await getJson<{ records: Rec[]; next?: string }>(
      `${q}&cursor=${encodeURIComponent(first.body.next ?? '')}`,
    );
    assert.deepEqual(
      second.body.records.map((r) => r.id),
      ['o2'],
    );
    const count = await getJson<{ count: number }>(
      `db/count?database=shop&collection=orders&where=${where}`,
    );
    assert.equal(count.body.count, 2);

    const updated = await post<Rec>('db/update', {
      ...at,
      id: 'o1',
      data: { status: 'paid' },
      ifVersion: 1,
    });
    assert.equal(updated.status, 200);
    assert.deepEqual(updated.body.data, { total: 5, status: 'paid' }, 'merged');
    const stale = await post('db/update', { ...at, id: 'o1', data: { total: 0 }, ifVersion: 1 });
    assert.equal(stale.status, 409, "the db's conflict comes through");
    const replaced = await post<Rec>('db/update', {
      ...at,
      id: 'o1',
      data: { x: 1 },
      mode: 'replace',
    });
    assert.deepEqual(replaced.body.data, { x: 1 });
    const gone = await post<{ deleted: boolean }>('db/delete', { ...at, id: 'o1', ifVersion: 3 });
    assert.deepEqual(gone.body, { deleted: true });
    const none = await getJson('db/read?database=shop&collection=orders&id=o1');
    assert.equal(none.status, 404);
    assert.match(none.body.error.detail, /record "o1" not found in shop\/orders/);
    const o2 = await getJson<{ record: Rec }>('db/read?database=shop&collection=orders&id=o2');
    assert.deepEqual(o2.body.record.data, { total: 20, status: 'open' });
  });

  it('reads the micro database when a request names none, as the CLI does', async () => {
    // A Db whose own default is another database, as the control plane's is for the dashboard.
    const own = createMemoryDb({ database: 'micro_web' });
    const other = await startWeb({ address: '127.0.0.1:0', registry, client, db: own });
    try {
      await own.create('users', { name: 'Ann' }, { id: 'ann', database: 'micro' });
      const from = `http://${other.address}`;
      const read = await getJson<{ record: Rec }>('db/read?collection=users&id=ann', from);
      assert.deepEqual(read.body.record.data, { name: 'Ann' });
      assert.deepEqual((await getJson('db/count?collection=users', from)).body, { count: 1 });
    } finally {
      await closeAll(other, own);
    }
  });

  it('refuses hostile reads and writes with a 400 naming the field, storing nothing', async () => {
    const reads: [string, RegExp][] = [
      ['db/query?collection=orders&evil=1', /takes no field evil/],
      ['db/query?collection=orders&where=%7Bnope', /where is not valid JSON/],
      ['db/query?collection=orders&where=%5B1%5D', /where must be a JSON object/],
      ['db/query?collection=orders&limit=1000', /limit must be a whole number from 1 to 200/],
      ['db/query?collection=orders&limit=ten', /limit must be a number/],
      ['db/query?collection=orders&sort=a,b,c,d,e', /sort takes at most 4 fields/],
      ['db/query?collection=orders&limit=1&limit=2', /limit must be given once/],
      ['db/query?database=shop', /collection is required/],
      [`db/query?collection=${'x'.repeat(100)}`, /collection/],
      ['db/query?collection=orders&where=%7B%22a%22%3A%7B%22%24regex%22%3A1%7D%7D', /regex/],
      [`db/collections?database=${'d'.repeat(65)}`, /database is longer than 64/],
    ];
    for (const [path, detail] of reads) {
      const r = await getJson(path);
      assert.equal(r.status, 400, path);
      assert.match(r.body.error.detail, detail, path);
    }
    const writes: [string, unknown, RegExp][] = [
      ['db/create', { ...at, id: 'h1', data: [1] }, /data must be a JSON object/],
      ['db/create', { ...at, id: 'h1', data: 'x' }, /data must be a JSON object/],
      ['db/create', { ...at, id: 'h1', data: {}, as: 1 }, /takes no field as/],
      ['db/create', { ...at, collection: 7, id: 'h1', data: {} }, /collection is required/],
      ['db/create', { ...at, id: 'h1', data: { $where: 1 } }, /\$/],
      ['db/create', { ...at, id: 'h'.repeat(300), data: {} }, /id/],
      ['db/update', { ...at, id: 'o2', data: {}, mode: 'patch' }, /mode must be merge or replace/],
      [
        'db/update',
        { ...at, id: 'o2', data: {}, ifVersion: 'x' },
        /ifVersion must be a whole number/,
      ],
      ['db/update', { ...at, id: 'o2', data: {}, upsert: 'yes' }, /upsert must be true or false/],
      ['db/delete', { ...at, id: 7 }, /id is required/],
    ];
    for (const [path, body, detail] of writes) {
      const r = await post(path, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body).slice(0, 80)}`);
      assert.match(r.body.error.detail, detail, path);
    }
    for (const body of ['[1]', '"x"', 'null'])
      assert.equal((await post('db/create', body)).status, 400);
    assert.equal(
      await db.count('orders', { database: 'shop', where: { id: { $prefix: 'h' } } }),
      0,
    );
    assert.equal((await db.read('orders', 'o2', { database: 'shop' }))?.version, 1, 'unchanged');
  });

  it('takes writes only from its own pages and only for its own host', async () => {
    const body = JSON.stringify({ ...at, id: 'evil', data: { x: 1 } });
    const attempts: [Record<string, string>, number][] = [
      [{ 'content-type': 'text/plain', host: web.address }, 403],
      [{ 'content-type': 'application/x-www-form-urlencoded', host: web.address }, 415],
      [
        { 'content-type': 'application/json', host: web.address, origin: 'http://evil.example' },
        403,
      ],
      [{ 'content-type': 'application/json', host: web.address, origin: 'null' }, 403],
      [
        { 'content-type': 'application/json', host: `evil.example:${web.address.split(':')[1]}` },
        421,
      ],
    ];
    for (const [headers, status] of attempts) {
      const r = await requestAs(web.address, {
        method: 'POST',
        path: '/_/api/db/create',
        headers,
        body,
      });
      assert.equal(r.status, status, JSON.stringify(headers));
    }
    const read = await requestAs(web.address, {
      path: '/_/api/db/collections',
      headers: { host: 'rebound.example' },
    });
    assert.equal(read.status, 421, 'a rebound DNS name cannot read the records either');
    assert.equal(await db.read('orders', 'evil', { database: 'shop' }), undefined);
  });

  it('lists a long record cut, and reads it whole', async () => {
    const big = { text: 'x'.repeat(100_000) };
    assert.equal((await post('db/create', { ...at, id: 'big', data: big })).status, 200);
    const page = await getJson<{ records: Rec[] }>(
      `db/query?database=shop&collection=orders&where=${encodeURIComponent('{"id":"big"}')}`,
    );
    const listed = page.body.records[0];
    assert.deepEqual(listed?.data, {});
    assert.ok((listed?.dataBytes ?? 0) > 100_000);
    const whole = await getJson<{ record: Rec }>('db/read?database=shop&collection=orders&id=big');
    assert.deepEqual(whole.body.record.data, big);
  });

  it('answers 501 when started without a db, and without events', async () => {
    const r = await getJson('db/collections', `http://${bare.address}`);
    assert.equal(r.status, 501);
    assert.match(r.body.error.detail, /without the db area/);
    const e = await getJson('events/topics', `http://${bare.address}`);
    assert.equal(e.status, 501);
    const s = await getJson('events/stream', `http://${bare.address}`);
    assert.equal(s.status, 501);
  });
});

describe('the dashboard: events routes and the platform events stream', () => {
  let registry: Registry;
  let client: Client;
  let events: Events;
  let web: Web;
  let base = '';

  before(async () => {
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
    events = createMemoryEvents();
    web = await startWeb({ address: '127.0.0.1:0', registry, client, events });
    base = `http://${web.address}`;
    const up = (service: string) => ({
      action: 'register',
      service,
      version: '1.0.0',
      node: `${service}-1`,
      address: '127.0.0.1:1',
      summary: `${service} 1.0.0 node ${service}-1 up at 127.0.0.1:1`,
    });
    await events.publish('micro.registry', up('greeter'));
    await events.publish('micro.registry', up('billing'));
    await events.publish('micro.config', {
      action: 'set',
      namespace: 'billing',
      path: 'db.pool',
      version: 1,
      author: 'ann',
      summary: 'billing db.pool set by ann (v1)',
    });
  });
  after(() => closeAll(web, client, events, registry));

  const getJson = async <T = Failed>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}/_/api/${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };

  /** Opens the stream; `until` reads it until its text matches, boundedly. */
  const openStream = (query: string) => openEventStream(`${base}/_/api/events/stream?${query}`);

  it('lists topics and groups, and replays a range', async () => {
    const topics = await getJson<{ topics: { topic: string; count: number; last: number }[] }>(
      'events/topics?prefix=micro.',
    );
    assert.deepEqual(
      topics.body.topics.map((t) => [t.topic, t.count]),
      [
        ['micro.config', 1],
        ['micro.registry', 2],
      ],
    );
    const sub = await events.subscribe('orders', { group: 'billing', start: 'earliest' });
    await events.publish('orders', { n: 1 });
    const first = await sub[Symbol.asyncIterator]().next();
    assert.equal(first.done ? undefined : first.value.offset, 1);
    const groups = await getJson<{ groups: { group: string; pending: number; members: number }[] }>(
      'events/groups?topic=orders',
    );
    assert.deepEqual(
      groups.body.groups.map((g) => [g.group, g.pending, g.members]),
      [['billing', 1, 1]],
    );
    await sub.stop();
    const page = await getJson<{
      events: { offset: number; data: { service: string } }[];
      next?: number;
    }>('events/read?topic=micro.registry&from=1&limit=1');
    assert.deepEqual(
      page.body.events.map((e) => [e.offset, e.data.service]),
      [[1, 'greeter']],
    );
    assert.equal(page.body.next, 2);
  });

  it('refuses hostile reads with a 400 naming the field', async () => {
    const cases: [string, RegExp][] = [
      ['events/read', /topic is required/],
      ['events/read?topic=a&limit=500', /limit must be a whole number from 1 to 200/],
      ['events/read?topic=a&from=-1', /from must be a whole number/],
      ['events/read?topic=a&from=1.5', /from must be a whole number/],
      ['events/read?topic=a&evil=1', /takes no field evil/],
      ['events/read?topic=a%20b', /topic/],
      [`events/topics?prefix=${'p'.repeat(300)}`, /prefix is longer than 255/],
      ['events/stream?topic=a%20b', /topic/],
      ['events/stream?backlog=1000', /backlog must be a whole number from 0 to 500/],
      [`events/stream?text=${'t'.repeat(201)}`, /text is longer than 200/],
      ['events/stream?evil=1', /takes no field evil/],
    ];
    for (const [path, detail] of cases) {
      const r = await getJson(path);
      assert.equal(r.status, 400, path);
      assert.match(r.body.error.detail, detail, path);
    }
  });

  it('cuts a long event in a replay', async () => {
    await events.publish('big', { text: 'y'.repeat(100_000) });
    const page = await getJson<{ events: { data: unknown; dataBytes?: number }[] }>(
      'events/read?topic=big',
    );
    const e = page.body.events[0];
    assert.equal(typeof e?.data, 'string');
    assert.ok((e?.dataBytes ?? 0) > 100_000);
  });

  it('streams the platform events filtered here: the backlog, then each new one', async () => {
    const stream = await openStream('text=billing');
    await stream.until(/event: ready[\s\S]*"summary":"billing 1\.0\.0 node billing-1 up/);
    await stream.until(/billing db\.pool set by ann/);
    assert.doesNotMatch(stream.text, /greeter/, 'filtered before it is sent');
    await events.publish('micro.sync', {
      action: 'lock',
      name: 'billing/compact',
      holder: 'w1',
      summary: 'lock billing/compact taken by w1',
    });
    await events.publish('micro.sync', {
      action: 'lock',
      name: 'x',
      holder: 'w2',
      summary: 'lock x',
    });
    await stream.until(
      /"topic":"micro\.sync","offset":1,[^}]*"action":"lock","name":"billing\/compact"/,
    );
    assert.doesNotMatch(stream.text, /lock x/);
    stream.close();

    const actions = await openStream('topic=micro.registry&action=register&backlog=1');
    await actions.until(/"offset":2,[^}]*"name":"billing"/);
    assert.doesNotMatch(actions.text, /"offset":1,/, 'only the latest one of the backlog');
    actions.close();
  });

  it('keeps at most 32 streams open', async () => {
    const open = [];
    try {
      for (let i = 0; i < 32; i++) open.push(await openStream('backlog=0'));
      const more = await getJson('events/stream?backlog=0');
      assert.equal(more.status, 503);
      assert.match(more.body.error.detail, /32 event streams are open already/);
    } finally {
      for (const s of open) s.close();
    }
  });
});
