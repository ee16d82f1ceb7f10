// The dashboard's server over real HTTP: pages and files, the JSON routes, the event stream fed by
// the registry watch, and the guards that keep other web sites from calling services through it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTerminal } from '../../../src/commands/shared/terminal.ts';
import {
  createClient,
  createMemoryRegistry,
  type Client,
  type Registry,
  type RegistryService,
  type Service,
} from '../../../src/runtime/index.ts';
import {
  startWeb,
  type EventBatch,
  type EventSnapshot,
  type ServiceSummary,
  type Web,
} from '../../../src/ui/web/index.ts';
import { closedAddress } from '../../helpers/cli.ts';
import {
  closeAll,
  greeterService,
  postJson,
  quietService,
  record,
} from '../../helpers/fixtures.ts';
import { rawExchange, requestAs } from '../../helpers/raw-http.ts';

/** The server-sent events of one open stream, as they arrive. */
interface EventStream {
  next(
    predicate?: (e: { event: string; data: unknown }) => boolean,
    ms?: number,
  ): Promise<{
    event: string;
    data: unknown;
  }>;
  close(): void;
}

async function openEvents(url: string): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const queue: { event: string; data: unknown }[] = [];
  let buffer = '';
  const pull = async (): Promise<void> => {
    const { value, done } = await reader.read();
    if (done) throw new Error('the event stream ended');
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) queue.push({ event, data: JSON.parse(data) });
    }
  };
  return {
    async next(predicate = () => true, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = queue.findIndex(predicate);
        if (i >= 0) return queue.splice(i, 1)[0]!;
        if (Date.now() > deadline) throw new Error('no matching event in time');
        await Promise.race([
          pull(),
          new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()))),
        ]);
      }
    },
    close: () => abort.abort(),
  };
}

describe('the web dashboard server', () => {
  let registry: Registry;
  let client: Client;
  let hello: Service;
  let web: Web;
  let base = '';
  const post = (path: string, body: object) => postJson(`${base}${path}`, body);

  before(async () => {
    registry = createMemoryRegistry();
    hello = greeterService(registry);
    await hello.start();
    client = createClient({ registry });
    web = await startWeb({
      address: '127.0.0.1:0',
      registry,
      client,
      terminal: createTerminal({ registry, client }),
    });
    base = `http://${web.address}`;
  });
  after(() => closeAll(web, hello, client, registry));

  it('serves the dashboard page and its files, with a strict content security policy', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await page.text();
    const files = [...html.matchAll(/(?:href|src)="(\/_\/static\/[^"]+)"/g)].map((m) => m[1]!);
    const app = files.find((f) => /^\/_\/static\/~[\w-]+\/app\.js$/.test(f));
    assert.ok(app, `the page loads app.js under its version: ${files.join(' ')}`);
    for (const file of files) {
      const res = await fetch(`${base}${file}`);
      assert.equal(res.status, 200, file);
      // Named by version, a file may be kept: the next visit asks for nothing.
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', file);
      await res.arrayBuffer();
    }
    // A page of another version (an older micro's, still open) gets today's file, checked each time.
    const stale = await fetch(`${base}${app.replace(/~[\w-]+\//, '~old/')}`);
    assert.equal(stale.status, 200);
    assert.equal(stale.headers.get('cache-control'), 'no-cache');
    assert.equal(await stale.text(), await (await fetch(`${base}${app}`)).text());
    assert.equal(
      page.headers.get('cache-control'),
      'no-cache',
      'the page itself is always checked',
    );
    const js = await fetch(`${base}/_/static/pages/service.js`);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    const etag = js.headers.get('etag') ?? '';
    await js.text();
    const again = await fetch(`${base}/_/static/pages/service.js`, {
      headers: { 'if-none-match': etag },
    });
    assert.equal(again.status, 304, 'an unchanged file is not sent again');
    const missing = await fetch(`${base}/_/static/nope.js`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: number }).code, 404);
  });

  it('lists services and shows one with its versions, nodes and endpoint schemas', async () => {
    const list = (await (await fetch(`${base}/_/api/services`)).json()) as {
      services: RegistryService[];
    };
    const g = list.services.find((s) => s.name === 'greeter');
    assert.equal(g?.nodes[0]?.address, hello.server.address);
    const one = await fetch(`${base}/_/api/service?name=greeter`);
    const { versions } = (await one.json()) as { versions: RegistryService[] };
    assert.equal(versions[0]?.version, '1.0.0');
    assert.deepEqual(versions[0]?.endpoints[0]?.request?.required, ['name']);

    const missing = await fetch(`${base}/_/api/service?name=nope`);
    assert.equal(missing.status, 404);
    const { error } = (await missing.json()) as { error: { code: number; detail: string } };
    assert.equal(error.code, 404);
    assert.match(error.detail, /nope/);
    assert.equal((await fetch(`${base}/_/api/service`)).status, 400);
    assert.equal((await fetch(`${base}/_/api/nothing`)).status, 404);
  });

  it('streams registry changes as server-sent events: summaries first, then batches per tick', async (t) => {
    const events = await openEvents(`${base}/_/api/events`);
    /** The next batch that names the service, as added or removed. */
    const batchOf = async (name: string) =>
      (
        await events.next(
          (e) =>
            e.event === 'changes' &&
            ((e.data as EventBatch).services.some((s) => s.name === name) ||
              (e.data as EventBatch).removed.includes(name)),
        )
      ).data as EventBatch;
    try {
      const first = await events.next();
      assert.equal(first.event, 'services');
      const snapshot = first.data as EventSnapshot;
      assert.deepEqual(
        snapshot.services.find((s) => s.name === 'greeter'),
        { name: 'greeter', versions: ['1.0.0'], nodes: 1, endpoints: 1, web: false },
        'a summary, not the full record',
      );
      const created = snapshot.recent.find((e) => e.action === 'create' && e.name === 'greeter');
      assert.deepEqual(created?.nodes, [`${hello.server.id} ${hello.server.address}`]);
      assert.equal(created?.nodeCount, 1);

      const late = greeterService(registry, { name: 'late' });
      const t0 = performance.now();
      await late.start();
      const added = await batchOf('late');
      const latency = performance.now() - t0;
      assert.equal(added.services.find((s) => s.name === 'late')?.nodes, 1);
      assert.ok(added.events.some((e) => e.action === 'create' && e.name === 'late'));
      t.diagnostic(`a new service reached the event stream ${latency.toFixed(1)} ms after start()`);
      await late.stop();
      const removed = await batchOf('late');
      assert.deepEqual(removed.removed, ['late']);
      assert.ok(removed.events.some((e) => e.action === 'delete' && e.name === 'late'));

      // 100 changes to one name within a tick are one summary in one or two batches, not 100 messages.
      const many = Array.from({ length: 100 }, (_, i) =>
        record('burst', { nodes: [{ id: `burst-${i}`, address: '127.0.0.1:9', metadata: {} }] }),
      );
      for (const r of many) await registry.register(r, { ttl: 60_000 });
      let batches = 0;
      let last: ServiceSummary | undefined;
      while (last?.nodes !== 100) {
        const b = await batchOf('burst');
        batches++;
        last = b.services.find((s) => s.name === 'burst');
      }
      t.diagnostic(`100 registrations of one name arrived in ${batches} batch(es)`);
      assert.ok(batches < 100, `${batches} batches`);
      for (const r of many) await registry.deregister(r);
      await batchOf('burst').then(async (b) =>
        b.removed.includes('burst') ? b : batchOf('burst'),
      );
    } finally {
      events.close();
    }
  });

  it('lists services in summary form, by prefix and a page at a time; refuses bad paging with 400s', async () => {
    const names = ['svc-10', 'svc-2', 'svc-1', 'other'];
    await Promise.all(names.map((n) => registry.register(record(n), { ttl: 60_000 })));
    try {
      const get = async (q: string) => {
        const res = await fetch(`${base}/_/api/services?${q}`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const page1 = await get('summary&prefix=svc-&limit=2');
      assert.equal(page1.status, 200);
      assert.deepEqual(page1.body, {
        services: [
          { name: 'svc-1', versions: ['1.0.0'], nodes: 1, endpoints: 0, web: false },
          { name: 'svc-2', versions: ['1.0.0'], nodes: 1, endpoints: 0, web: false },
        ],
        total: 3,
        next: 'svc-2',
      });
      const page2 = await get('summary&prefix=svc-&limit=2&after=svc-2');
      assert.deepEqual(
        (page2.body.services as ServiceSummary[]).map((s) => s.name),
        ['svc-10'],
        'natural order: svc-2 before svc-10',
      );
      assert.equal(page2.body.next, undefined);
      const all = await get('summary=1');
      assert.ok((all.body.services as ServiceSummary[]).some((s) => s.name === 'greeter'));
      for (const bad of [
        'summary&limit=0',
        'summary&limit=x',
        'limit=5',
        'summary&after=a&after=b',
      ])
        assert.equal((await get(bad)).status, 400, bad);
    } finally {
      await Promise.all(names.map((n) => registry.deregister(record(n))));
    }
  });

  it('lists topics apart: not among the services nor health-checked, at /_/api/topics, in the stream', async () => {
    const events = await openEvents(`${base}/_/api/events`);
    const notify = quietService({ name: 'notify', registry, address: '127.0.0.1:0' }).subscribe(
      'orders.created',
      async () => {},
      { queue: 'workers' },
    );
    try {
      await events.next((e) => e.event === 'services');
      await notify.start();
      // Gathers batches until the topic, its event and the service have all come.
      let topicEvent = false;
      let listed = false;
      let service = false;
      for (let i = 0; i < 20 && !(topicEvent && listed && service); i++) {
        const b = (await events.next((e) => e.event === 'changes')).data as EventBatch;
        topicEvent ||= b.events.some((e) => e.topic === 'orders.created');
        listed ||= b.topics?.some((t) => t.topic === 'orders.created') === true;
        service ||= b.services.some((s) => s.name === 'notify');
        assert.ok(!b.services.some((s) => s.name.startsWith('topic:')), 'no topic entry');
      }
      assert.ok(topicEvent && listed && service, 'the topic, its event and the service came');

      const [services, topics, health] = await Promise.all(
        ['services', 'topics', 'health'].map(async (r) => {
          const res = await fetch(`${base}/_/api/${r}`);
          assert.equal(res.status, 200, r);
          return res.json() as Promise<Record<string, { name?: string; service?: string }[]>>;
        }),
      );
      assert.deepEqual(services!.services!.map((s) => s.name).sort(), ['greeter', 'notify']);
      assert.deepEqual(topics!.topics, [
        { topic: 'orders.created', subscribers: 1, queues: ['workers'], services: ['notify'] },
      ]);
      assert.deepEqual(health!.nodes!.map((n) => n.service).sort(), ['greeter', 'notify']);
      const snapshot = await openEvents(`${base}/_/api/events`);
      try {
        const first = (await snapshot.next()).data as EventSnapshot;
        assert.ok(!first.services.some((s) => s.name.startsWith('topic:')), 'no topic entry');
        assert.deepEqual(first.topics, topics!.topics);
      } finally {
        snapshot.close();
      }
    } finally {
      events.close();
      await notify.stop();
    }
  });

  it('calls an endpoint: the response with the node and time, errors with their code', async () => {
    const ok = await post('/_/api/call', {
      service: 'greeter',
      endpoint: 'Say.Hello',
      request: { name: 'Ann' },
    });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { response: unknown; node: { id: string }; ms: number };
    assert.deepEqual(body.response, { msg: 'Hello Ann' });
    assert.equal(body.node.id, hello.server.id);
    assert.ok(body.ms >= 0);

    const bad = await post('/_/api/call', {
      service: 'greeter',
      endpoint: 'Say.Hello',
      request: { name: 42 },
    });
    assert.equal(bad.status, 400);
    const failed = (await bad.json()) as { error: { code: number; detail: string }; ms: number };
    assert.equal(failed.error.code, 400);
    assert.match(failed.error.detail, /must be string/);
    assert.ok(failed.ms >= 0);

    const unknown = await post('/_/api/call', { service: 'nope', endpoint: 'X.Y', request: {} });
    assert.equal(unknown.status, 404);
    const missing = await post('/_/api/call', { endpoint: 'Say.Hello' });
    assert.equal(missing.status, 400);
    const version = await post('/_/api/call', {
      service: 'greeter',
      endpoint: 'Say.Hello',
      version: '9.9.9',
      request: { name: 'x' },
    });
    assert.equal(version.status, 404, 'a version the service does not have (was 503)');
    const { error } = (await version.json()) as { error: { detail: string } };
    assert.match(error.detail, /no version 9\.9\.9; it has 1\.0\.0/);
  });

  it('refuses calls another web site could make: no form posts, no foreign origin or host', async () => {
    const call = JSON.stringify({
      service: 'greeter',
      endpoint: 'Say.Hello',
      request: { name: 'x' },
    });
    const form = await requestAs(web.address, {
      method: 'POST',
      path: '/_/api/call',
      headers: { 'content-type': 'text/plain', host: web.address },
      body: call,
    });
    assert.equal(form.status, 403, 'a cross-site form can send text/plain without a preflight');
    const foreign = await requestAs(web.address, {
      method: 'POST',
      path: '/_/api/call',
      headers: {
        'content-type': 'application/json',
        host: web.address,
        origin: 'http://evil.example',
      },
      body: call,
    });
    assert.equal(foreign.status, 403);
    const same = await requestAs(web.address, {
      method: 'POST',
      path: '/_/api/call',
      headers: { 'content-type': 'application/json', host: web.address, origin: base },
      body: call,
    });
    assert.equal(same.status, 200);
    const port = web.address.split(':')[1] ?? '';
    const rebound = await requestAs(web.address, {
      path: '/_/api/services',
      headers: { host: `evil.example:${port}` },
    });
    assert.equal(rebound.status, 421, 'a DNS name re-pointed at 127.0.0.1 is not served');
    for (const host of [`127.attacker.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
      const named = await requestAs(web.address, {
        method: 'POST',
        path: '/_/api/call',
        headers: { 'content-type': 'application/json', host },
        body: call,
      });
      assert.equal(named.status, 421, `${host} is a DNS name, not a loopback address`);
    }
    const local = await requestAs(web.address, {
      path: '/_/api/services',
      headers: { host: `localhost:${port}` },
    });
    assert.equal(local.status, 200);
  });

  it('answers bad bodies with the error shape the pages read, never a raw fastify error', async () => {
    const send = (type: string, body: string) =>
      fetch(`${base}/_/api/call`, { method: 'POST', headers: { 'content-type': type }, body });
    for (const [res, code, detail] of [
      [await send('application/json', '{"service":'), 400, /malformed JSON/],
      [await send('application/x-www-form-urlencoded', 'service=greeter'), 415, /send JSON/],
      [await send('application/json', '{"service":"greeter","endpoint":"Say.Hello"'), 400, /JSON/],
    ] as const) {
      assert.equal(res.status, code);
      const body = (await res.json()) as { error: Record<string, unknown> };
      assert.deepEqual(Object.keys(body), ['error']);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'detail', 'id', 'status']);
      assert.equal(body.error.id, 'micro.web');
      assert.equal(body.error.code, code);
      assert.match(String(body.error.detail), detail);
    }
  });

  it('answers deep JSON, bad URLs, oversized headers and WebSocket refusals in the error shape', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const call = await fetch(`${base}/_/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"service":"greeter","endpoint":"Say.Hello","request":${deep}}`,
    });
    assert.equal(call.status, 400, 'a RangeError from deep JSON was a 500');
    const { error } = (await call.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(error).sort(), ['code', 'detail', 'id', 'status']);
    const badUrl = await fetch(`${base}/_/api/%E0%A4%A`);
    assert.equal(badUrl.status, 400);
    assert.equal(((await badUrl.json()) as { error: { id: string } }).error.id, 'micro.web');
    const list = await fetch(`${base}/_/api/health?service=a&service=b`);
    assert.equal(list.status, 400);
    await list.arrayBuffer();

    const port = web.address.split(':')[1] ?? '';
    const upgrade = (path: string, host: string) =>
      `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    for (const [text, status, what] of [
      [
        `GET / HTTP/1.1\r\nHost: ${web.address}\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        'headers too large',
      ],
      ['GARBAGE\r\n\r\n', 400, 'a malformed request line'],
      ['GET /_/api/services HTTP/1.1\r\n\r\n', 421, 'HTTP/1.1 without Host'],
      [upgrade('/_/api/events', web.address), 404, "an upgrade to the dashboard's own routes"],
      [upgrade('/chat/', `evil.example:${port}`), 421, 'an upgrade for a foreign host'],
      [upgrade('/nobody/', web.address), 404, 'an upgrade to no web app'],
    ] as const) {
      const answer = await rawExchange(Number(port), [text]);
      assert.equal(answer.status, status, `${what}: ${answer.body}`);
      assert.match(answer.headers['content-type'] ?? '', /^application\/json/, what);
      const shape = JSON.parse(answer.body) as Record<string, unknown>;
      assert.deepEqual(Object.keys(shape).sort(), ['code', 'detail', 'id', 'status'], what);
      assert.equal(shape.code, status, what);
    }
  });

  it('checks the health of every node, each at its own address', async () => {
    const dead = await closedAddress();
    const ghost = record('ghost', { version: '0.0.1', address: dead });
    await registry.register(ghost);
    try {
      const one = await fetch(`${base}/_/api/health?service=greeter`);
      const { nodes } = (await one.json()) as { nodes: { node: string; status: string }[] };
      assert.deepEqual(
        nodes.map((n) => [n.node, n.status]),
        [[hello.server.id, 'ok']],
      );
      const all = (await (await fetch(`${base}/_/api/health`)).json()) as {
        nodes: { service: string; status: string; error?: { code: number } }[];
      };
      const g = all.nodes.find((n) => n.service === 'ghost');
      assert.equal(g?.status, 'failed');
      assert.ok(g?.error && g.error.code >= 500, 'the failure carries its error');
      assert.equal((await fetch(`${base}/_/api/health?service=nope`)).status, 404);
    } finally {
      await registry.deregister(ghost);
    }
  });

  it('runs terminal commands from the allow-list only', async () => {
    const run = async (line: string) =>
      (await (await post('/_/api/terminal', { line })).json()) as {
        output: string;
        code: number;
      };
    const list = await run('micro list services');
    assert.equal(list.code, 0);
    assert.match(list.output, /^NAME\s+VERSIONS\s+NODES\ngreeter\s+1\.0\.0\s+1/);
    const call = await run(`call greeter Say.Hello '{"name":"Ann"}'`);
    assert.deepEqual(JSON.parse(call.output), { msg: 'Hello Ann' });
    const refused = await run('kill greeter');
    assert.equal(refused.code, 1);
    assert.match(refused.output, /not a command here/);
    const noTerminal = await startWeb({ address: '127.0.0.1:0', registry, client });
    try {
      const res = await postJson(`http://${noTerminal.address}/_/api/terminal`, {
        line: 'list services',
      });
      assert.equal(res.status, 501);
    } finally {
      await noTerminal.close();
    }
  });

  it('says which address is taken when it cannot listen', async () => {
    await assert.rejects(
      startWeb({ address: web.address, registry, client }),
      (err: Error & { code?: number }) => {
        assert.equal(err.code, 409);
        assert.match(err.message, new RegExp(`${web.address} is in use.*--web-address`));
        return true;
      },
    );
  });
});
