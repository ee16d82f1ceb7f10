// Registry.ListServices for large fleets, over the wire of a real control plane: pages with a
// cursor that holds under changes, a name filter, the summary form, natural order, and a 400
// naming the field for a bad request.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { listPages, type ServiceSummary } from '../../src/registry/index.ts';
import { createMemoryRegistry } from '../../src/registry/memory.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Service } from '../../src/registry/registry.ts';
import { createService } from '../../src/runtime/index.ts';
import { postToRegistry, startTestControlPlane } from '../helpers/control-plane.ts';
import { quiet } from '../helpers/fixtures.ts';
import { serverForTests } from '../helpers/lifecycle.ts';

const address = serverForTests(() => startTestControlPlane('micro-listing-'));

interface Answer {
  status: number;
  body: { services?: Service[]; summaries?: ServiceSummary[]; next?: string; detail?: string };
}

async function list(request: unknown): Promise<Answer> {
  const res = await postToRegistry(address(), 'Registry.ListServices', JSON.stringify(request));
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** A service of two nodes and five endpoints, as the scale benchmark registers them. */
const svc = (name: string, version = '1.0.0'): Service => ({
  name,
  version,
  metadata: {},
  endpoints: Array.from({ length: 5 }, (_, i) => ({ name: `Handler.Method${i}`, metadata: {} })),
  nodes: [1, 2].map((n) => ({
    id: `${name}-${version}-${n}`,
    address: `127.0.0.1:${n}`,
    metadata: {},
  })),
});

const key = (s: Service): string => `${s.name}@${s.version}`;

// 300 names, registered out of order; page-7 also at 1.10.0 and 1.2.0.
const NAMES = Array.from({ length: 300 }, (_, i) => `page-${((i * 7) % 300) + 1}`);

describe('Registry.ListServices at scale, over the wire', () => {
  before(async () => {
    const r = createMicroRegistry({ address: address() });
    for (const name of NAMES) await r.register(svc(name), { ttl: 600_000 });
    await r.register(svc('page-7', '1.10.0'), { ttl: 600_000 });
    await r.register(svc('page-7', '1.2.0'), { ttl: 600_000 });
    await r.close();
  });

  it('answers an empty request with every version in full, in natural order, and no cursor', async () => {
    const { status, body } = await list({});
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body), ['services']);
    const names = body.services!.map((s) => s.name).filter((n) => n.startsWith('page-'));
    assert.equal(names.length, 302);
    assert.deepEqual(names.slice(0, 12), [
      'page-1',
      'page-2',
      'page-3',
      'page-4',
      'page-5',
      'page-6',
      'page-7',
      'page-7',
      'page-7',
      'page-8',
      'page-9',
      'page-10',
    ]);
    const versions = body.services!.filter((s) => s.name === 'page-7').map((s) => s.version);
    assert.deepEqual(versions, ['1.0.0', '1.2.0', '1.10.0']);
    assert.ok(
      body.services!.some((s) => s.name === 'registry'),
      'the control plane itself',
    );
  });

  it('walks every version exactly once by cursor while services come and go', async () => {
    const r = createMicroRegistry({ address: address() });
    const seen: string[] = [];
    const behind = new Set<string>(); // added or removed where the walk had already been
    const ahead = new Set<string>(); // added or removed where it had not yet been
    const removed: string[] = [];
    const added: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    try {
      for (; pages < 100; pages++) {
        const { status, body } = await list({ prefix: 'page-', limit: 37, cursor });
        assert.equal(status, 200, JSON.stringify(body));
        assert.ok(body.services!.length <= 37);
        seen.push(...body.services!.map(key));
        if (body.next === undefined) break;
        cursor = body.next;
        const n = Number(body.services!.at(-1)!.name.slice('page-'.length));
        if (!Number.isInteger(n)) continue; // a name added mid-walk ends this page
        // Mid-walk: a name behind the cursor and one ahead of it appear; one seen and one not yet seen go.
        for (const [name, where] of [
          [`page-${n - 1}-a`, behind],
          [`page-${n + 50}-b`, ahead],
        ] as const) {
          await r.register(svc(name), { ttl: 600_000 });
          added.push(name);
          where.add(`${name}@1.0.0+`);
        }
        for (const [name, where] of [
          [`page-${n - 1}`, behind],
          [`page-${n + 20}`, ahead],
        ] as const) {
          if (name === 'page-7' || removed.includes(name) || n + 20 > 300) continue;
          await r.deregister(svc(name));
          removed.push(name);
          where.add(`${name}@1.0.0-`);
        }
      }
      assert.ok(pages > 5, `walked ${pages} pages`);
      assert.equal(new Set(seen).size, seen.length, 'no version twice');
      const removedAhead = [...ahead].filter((k) => k.endsWith('-')).map((k) => k.slice(0, -1));
      const addedBehind = [...behind].filter((k) => k.endsWith('+')).map((k) => k.slice(0, -1));
      const addedAhead = [...ahead].filter((k) => k.endsWith('+')).map((k) => k.slice(0, -1));
      assert.ok(removedAhead.length > 3 && addedBehind.length > 3, 'changes on both sides');
      for (const k of [...NAMES.map((n) => `${n}@1.0.0`), 'page-7@1.10.0', 'page-7@1.2.0'])
        if (!removedAhead.includes(k)) assert.ok(seen.includes(k), `${k} was listed`);
      for (const k of removedAhead) assert.ok(!seen.includes(k), `${k} went before its page`);
      for (const k of addedBehind) assert.ok(!seen.includes(k), `${k} came behind the cursor`);
      for (const k of addedAhead) assert.ok(seen.includes(k), `${k} came ahead of the cursor`);
      const order = seen.map((k) => k.split('@')[0]!);
      for (let i = 1; i < order.length; i++)
        assert.ok(
          order[i - 1]!.localeCompare(order[i]!, 'en', { numeric: true }) <= 0,
          `${order[i - 1]} before ${order[i]}`,
        );
    } finally {
      for (const name of added) await r.deregister(svc(name));
      for (const name of removed) await r.register(svc(name), { ttl: 600_000 });
      await r.close();
    }
  });

  it('summarizes each name once: versions, nodes and endpoints, paged by name', async () => {
    const all: ServiceSummary[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const { status, body } = await list({ summary: true, prefix: 'page-', limit: 100, cursor });
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual(Object.keys(body).sort(), body.next ? ['next', 'summaries'] : ['summaries']);
      all.push(...body.summaries!);
      if (!body.next) break;
      cursor = body.next;
    }
    assert.equal(all.length, new Set(all.map((s) => s.name)).size, 'each name once');
    assert.equal(all.length, 300 - 0);
    const seven = all.find((s) => s.name === 'page-7');
    assert.deepEqual(seven, {
      name: 'page-7',
      versions: ['1.0.0', '1.2.0', '1.10.0'],
      nodes: 6,
      endpoints: 5,
    });
    assert.deepEqual(
      all.slice(0, 3).map((s) => s.name),
      ['page-1', 'page-2', 'page-3'],
    );
  });

  it('filters by prefix and by a part of the name, ignoring case', async () => {
    const prefixed = await list({ prefix: 'page-29', summary: true });
    assert.deepEqual(
      prefixed.body.summaries!.map((s) => s.name),
      ['page-29', 'page-290', 'page-291', 'page-292', 'page-293', 'page-294', 'page-295'].concat([
        'page-296',
        'page-297',
        'page-298',
        'page-299',
      ]),
    );
    const contains = await list({ contains: 'GE-15', summary: true, limit: 3 });
    assert.deepEqual(
      contains.body.summaries!.map((s) => s.name),
      ['page-15', 'page-150', 'page-151'],
    );
    assert.ok(contains.body.next);
    assert.deepEqual((await list({ prefix: 'nobody' })).body, { services: [] });
  });

  it('gives the same pages to the micro client, typed, and through listPages', async () => {
    const r = createMicroRegistry({ address: address() });
    try {
      const page = await r.listPage({ prefix: 'page-1', summary: true, limit: 5 });
      assert.deepEqual(
        page.summaries.map((s) => s.name),
        ['page-1', 'page-10', 'page-11', 'page-12', 'page-13'],
      );
      const names: string[] = [];
      for await (const p of listPages(r, { prefix: 'page-2', limit: 40 }))
        names.push(...p.services.map((s) => s.name));
      assert.equal(names.length, 111);
      assert.equal(names[0], 'page-2');
      assert.equal(names.at(-1), 'page-299');
    } finally {
      await r.close();
    }
  });

  it('answers 400 naming the field for a bad limit, cursor or field', async () => {
    const other = Buffer.from(JSON.stringify(['x', 'page-1'])).toString('base64url');
    const { body: first } = await list({ limit: 2, summary: true });
    const cases: [unknown, RegExp][] = [
      [{ limit: 0 }, /^limit must be a whole number from 1 to 1000/],
      [{ limit: 1001 }, /^limit must be a whole number from 1 to 1000/],
      [{ limit: 1e12 }, /^limit must be/],
      [{ limit: 2.5 }, /^limit must be/],
      [{ limit: '10' }, /^limit must be/],
      [{ cursor: 'garbage!' }, /^cursor is not one a page gave/],
      [{ cursor: 'Zm9v' }, /^cursor is not one a page gave/],
      [{ cursor: other }, /^cursor is not one a page gave/],
      [{ cursor: 'x'.repeat(10_000) }, /^cursor is not one a page gave/],
      [{ cursor: 5 }, /^cursor must be a string/],
      [{ cursor: first.next }, /^cursor comes from a page of summaries/],
      [
        { page: 2 },
        /^page is not a field of a Registry\.ListServices request; it takes prefix, contains, limit, cursor and summary/,
      ],
      [{ 'a\u001bb': 1 }, /^"a\\u001bb" is not a field/],
      [{ prefix: 5 }, /^prefix must be a string/],
      [{ prefix: 'x'.repeat(200) }, /^prefix is 200 characters long/],
      [{ contains: 'x'.repeat(129) }, /^contains is 129 characters long/],
      [{ summary: 'yes' }, /^summary must be true or false/],
      [null, /^a Registry\.ListServices request must be a JSON object/],
      [[], /^a Registry\.ListServices request must be a JSON object/],
    ];
    for (const [request, detail] of cases) {
      const { status, body } = await list(request);
      assert.equal(status, 400, `${JSON.stringify(request)}: ${JSON.stringify(body)}`);
      assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'id', 'status']);
      assert.match(body.detail!, detail, JSON.stringify(request));
    }
  });
});

describe('the micro client and an older control plane', () => {
  it('cuts the page itself from the full list an older ListServices answers', async () => {
    const own = createMemoryRegistry();
    const old = createService({
      name: 'registry',
      address: '127.0.0.1:0',
      registry: own,
      handleSignals: false,
      logger: quiet,
    });
    // What ListServices answered before it took options: every version, in no order.
    const everything = ['svc-10', 'svc-2', 'other', 'svc-1'].map((n) => svc(n));
    old.handle('Registry', { ListServices: async () => ({ services: everything }) });
    await old.start();
    const r = createMicroRegistry({ address: old.server.address });
    try {
      const summaries = await r.listPage({ prefix: 'svc-', summary: true, limit: 2 });
      assert.deepEqual(
        summaries.summaries.map((s) => s.name),
        ['svc-1', 'svc-2', 'svc-10'],
      );
      assert.equal(summaries.next, undefined, 'all that is left, in one page');
      const names: string[] = [];
      for await (const page of listPages(r, { limit: 1 }))
        names.push(...page.services.map((s) => s.name));
      assert.deepEqual(names, ['other', 'svc-1', 'svc-2', 'svc-10']);
    } finally {
      await r.close();
      await old.stop();
      await own.close();
    }
  });
});
