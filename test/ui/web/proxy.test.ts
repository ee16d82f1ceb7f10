// The web proxy: /[name]/... goes to services registered as web apps (handler=web), with the
// prefix stripped, X-Micro-Web-Base-Path set, and WebSocket upgrades carried through.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import {
  createClient,
  createMemoryRegistry,
  type Client,
  type Registry,
} from '../../../src/runtime/index.ts';
import { startWeb, type Web } from '../../../src/ui/web/index.ts';
import { closedAddress } from '../../helpers/cli.ts';
import { record } from '../../helpers/fixtures.ts';

/** What the web app saw of a request. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A web app that answers every request with what it saw, and echoes WebSocket messages. */
async function startApp(): Promise<{
  server: Server;
  address: string;
  upgrades: IncomingMessage[];
  held: EventEmitter;
}> {
  const upgrades: IncomingMessage[] = [];
  // `/hold` is never answered: `request` when it arrives, `closed` when its connection goes.
  const held = new EventEmitter();
  const server = createServer((req, res) => {
    if (req.url === '/hold') {
      res.on('close', () => held.emit('closed'));
      held.emit('request');
      return;
    }
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      const seen: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
      };
      res.writeHead(req.url === '/created' ? 201 : 200, {
        'content-type': 'application/json',
        'x-app': 'chat',
      });
      res.end(JSON.stringify(seen));
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    upgrades.push(req);
    ws.on('message', (data: Buffer) => ws.send(`echo: ${data.toString()}`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { server, address: `127.0.0.1:${port}`, upgrades, held };
}

describe('the web proxy', () => {
  let registry: Registry;
  let client: Client;
  let web: Web;
  let app: Awaited<ReturnType<typeof startApp>>;
  let base = '';

  before(async () => {
    registry = createMemoryRegistry();
    client = createClient({ registry });
    app = await startApp();
    await registry.register(record('chat', { address: app.address, metadata: { handler: 'web' } }));
    await registry.register(record('rpc-only', { address: app.address }));
    web = await startWeb({ address: '127.0.0.1:0', registry, client });
    base = `http://${web.address}`;
  });
  after(async () => {
    await web.close();
    app.server.closeAllConnections();
    app.server.close();
    await client.close();
    await registry.close();
  });

  it('forwards /chat/... to the web app with the prefix stripped and the base path set', async () => {
    const res = await fetch(`${base}/chat/rooms/1?since=5`, {
      headers: { 'x-micro-web-base-path': '/spoofed' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-app'), 'chat', "the app's headers come back");
    const seen = (await res.json()) as Seen;
    assert.equal(seen.url, '/rooms/1?since=5');
    assert.equal(seen.headers['x-micro-web-base-path'], '/chat');
    assert.equal(seen.headers['x-forwarded-host'], web.address);
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  });

  it('streams request bodies through and keeps the status code', async () => {
    const body = 'x'.repeat(256 * 1024);
    const res = await fetch(`${base}/chat/created`, { method: 'POST', body });
    assert.equal(res.status, 201);
    const seen = (await res.json()) as Seen;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.body.length, body.length);
  });

  it('redirects /chat to /chat/ so that relative links stay under the prefix', async () => {
    const res = await fetch(`${base}/chat?x=1`, { redirect: 'manual' });
    assert.equal(res.status, 308);
    assert.equal(res.headers.get('location'), '/chat/?x=1');
  });

  it('serves a node marked handler=web in its own metadata, and only such nodes', async () => {
    const dead = await closedAddress();
    const mixed = record('mixed', {
      nodes: [
        { id: 'mixed-web', address: app.address, metadata: { handler: 'web' } },
        { id: 'mixed-rpc', address: dead, metadata: {} },
      ],
    });
    await registry.register(mixed);
    try {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${base}/mixed/`);
        assert.equal(res.status, 200, 'the node without the mark is never picked');
        assert.equal(((await res.json()) as Seen).headers['x-micro-web-base-path'], '/mixed');
      }
    } finally {
      await registry.deregister(mixed);
    }
  });

  it('answers 404 with a reason for services that are not web apps or not there', async () => {
    const rpc = await fetch(`${base}/rpc-only/`);
    assert.equal(rpc.status, 404);
    assert.match(((await rpc.json()) as { detail: string }).detail, /not a web app: .*handler=web/);
    const none = await fetch(`${base}/nobody/`);
    assert.equal(none.status, 404);
    assert.match(((await none.json()) as { detail: string }).detail, /no service named nobody/);
  });

  it('answers 502 when the web app cannot be reached', async () => {
    const down = record('down', { address: await closedAddress(), metadata: { handler: 'web' } });
    await registry.register(down);
    try {
      const res = await fetch(`${base}/down/`);
      assert.equal(res.status, 502);
      assert.match(((await res.json()) as { detail: string }).detail, /cannot reach down/);
    } finally {
      await registry.deregister(down);
    }
  });

  it('fails over to another node of the web app when one cannot be reached, as the gateway does', async () => {
    const twin = record('twin', {
      metadata: { handler: 'web' },
      nodes: [
        { id: 'twin-dead', address: await closedAddress(), metadata: {} },
        { id: 'twin-live', address: app.address, metadata: {} },
      ],
    });
    await registry.register(twin);
    try {
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${base}/twin/`);
        assert.equal(res.status, 200, 'no request is lost to the dead node');
        await res.body?.cancel();
      }
    } finally {
      await registry.deregister(twin);
    }
  });

  it('ends the request to the web app when the client goes away before the answer', async () => {
    const arrived = once(app.held, 'request', { signal: AbortSignal.timeout(5000) });
    const client = new AbortController();
    const asked = fetch(`${base}/chat/hold`, { signal: client.signal }).catch(() => undefined);
    await arrived;
    const closed = once(app.held, 'closed', { signal: AbortSignal.timeout(5000) });
    client.abort();
    await closed;
    await asked;
  });

  it('carries WebSocket upgrades through, with the base path set', async () => {
    const ws = new WebSocket(`ws://${web.address}/chat/socket?room=1`);
    await once(ws, 'open');
    ws.send('hello');
    const [reply] = (await once(ws, 'message')) as [Buffer];
    assert.equal(reply.toString(), 'echo: hello');
    ws.close();
    const upgrade = app.upgrades.at(-1);
    assert.equal(upgrade?.url, '/socket?room=1');
    assert.equal(upgrade?.headers['x-micro-web-base-path'], '/chat');
  });

  it('refuses upgrades for services that are not web apps', async () => {
    const ws = new WebSocket(`ws://${web.address}/rpc-only/socket`);
    ws.on('error', () => undefined); // terminating a socket that never opened reports an error
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    assert.equal(res.statusCode, 404);
    ws.terminate();
  });
});
