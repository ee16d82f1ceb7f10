// The API gateway's `/mcp`: the SDK client over Streamable HTTP reaches the real core over the
// gateway's registry and client; with auth on `/mcp` needs an account, the tools listed and called
// are those the rules allow it, its token reaches the service, and its session is its own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createGateway, type Gateway } from '../../../src/proxy/index.ts';
import { gatewayMcp } from '../../../src/proxy/mcp/gateway.ts';
import { edgeAuthBench, type EdgeAuthBench } from '../../helpers/edge-auth.ts';
import { isErrorBody } from '../../helpers/raw-http.ts';
import { initializeRequest, MCP_HEADERS } from '../../helpers/mcp-wire.ts';
import { mcpBench, type McpBench } from './fixture.ts';

const INIT = JSON.stringify(initializeRequest('x'));
const HEADERS = MCP_HEADERS;

/** An SDK client connected to `base`/mcp with these headers. */
async function connect(base: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'gateway-agent', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } }),
  );
  return client;
}

describe("the gateway's /mcp", { timeout: 60_000 }, () => {
  let bench: McpBench;
  let gateway: Gateway;
  let off: Gateway;
  let base = '';
  before(async () => {
    bench = await mcpBench();
    gateway = await createGateway({
      registry: bench.registry,
      address: '127.0.0.1:0',
      log: false,
      trace: false,
    });
    off = await createGateway({
      registry: bench.registry,
      address: '127.0.0.1:0',
      log: false,
      trace: false,
      mcp: false,
    });
    base = `http://${gateway.address}`;
  });
  after(async () => {
    await gateway?.close();
    await off?.close();
    await bench?.close();
  });

  it('serves the registry as tools and resources to an SDK client', async () => {
    const client = await connect(base);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('greeter.Say.Hello'), names.join(', '));
      const r = await client.callTool({ name: 'greeter.Say.Hello', arguments: { name: 'Ed' } });
      assert.deepEqual(r.structuredContent, { msg: 'Hello Ed' });
      const listed = (await client.listResources()).resources.map((x) => x.uri);
      assert.ok(listed.includes('micro://services'), listed.join(', '));
      const read = await client.readResource({ uri: 'micro://services' });
      assert.match(JSON.stringify(read.contents), /greeter/);
    } finally {
      await client.close();
    }
  });

  it('answers bad JSON with -32700, a foreign Origin with 403, no session with 400', async () => {
    const bad = await fetch(`${base}/mcp`, { method: 'POST', headers: HEADERS, body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: number } }).error.code, -32700);
    const origin = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { ...HEADERS, origin: 'http://evil.example' },
      body: INIT,
    });
    assert.equal(origin.status, 403);
    assert.ok(isErrorBody(await origin.text(), 403));
    const get = await fetch(`${base}/mcp`, { headers: { accept: 'text/event-stream' } });
    assert.equal(get.status, 400);
    assert.ok(isErrorBody(await get.text(), 400));
  });

  it("serves a page on one of the gateway's CORS origins, which may read the session id", async () => {
    const cors = await createGateway({
      registry: bench.registry,
      address: '127.0.0.1:0',
      log: false,
      trace: false,
      cors: ['https://app.example'],
    });
    try {
      const r = await fetch(`http://${cors.address}/mcp`, {
        method: 'POST',
        headers: { ...HEADERS, origin: 'https://app.example' },
        body: INIT,
      });
      assert.equal(r.status, 200);
      await r.text();
      assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example');
      assert.equal(r.headers.get('access-control-expose-headers'), 'Mcp-Session-Id');
      assert.ok(r.headers.get('mcp-session-id'));
    } finally {
      await cors.close();
    }
  });

  it('is not served with mcp: false, nor with MICRO_MCP=off', async () => {
    const r = await fetch(`http://${off.address}/mcp`, {
      method: 'POST',
      headers: HEADERS,
      body: INIT,
    });
    assert.equal(r.status, 404);
    assert.ok(isErrorBody(await r.text(), 404));
    const deps = { registry: bench.registry, client: bench.client, version: '1' };
    assert.equal(gatewayMcp(undefined, deps, { MICRO_MCP: 'off' }), undefined);
    assert.equal(gatewayMcp(undefined, deps, { MICRO_MCP: 'False' }), undefined);
    // A value that means neither is refused, naming the variable: not left on by mistake.
    assert.throws(
      () => gatewayMcp(undefined, deps, { MICRO_MCP: 'bogus' }),
      /^TypeError: MICRO_MCP is "bogus": use on or off/,
    );
    const on = gatewayMcp(undefined, deps, {});
    assert.ok(on);
    await on.close();
  });
});

describe("the gateway's /mcp with auth on", { timeout: 60_000 }, () => {
  let bench: McpBench;
  let a: EdgeAuthBench;
  let gateway: Gateway;
  let base = '';
  before(async () => {
    bench = await mcpBench();
    a = await edgeAuthBench();
    gateway = await createGateway({
      registry: bench.registry,
      address: '127.0.0.1:0',
      log: false,
      trace: false,
      auth: a.edge,
    });
    base = `http://${gateway.address}`;
  });
  after(async () => {
    await gateway?.close();
    await a?.close();
    await bench?.close();
  });

  it('needs an account: no token is a 401 with its challenge', async () => {
    const r = await fetch(`${base}/mcp`, { method: 'POST', headers: HEADERS, body: INIT });
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="micro"/);
    assert.ok(isErrorBody(await r.text(), 401));
  });

  it("lists and calls only what the rules allow the account, with the account's token", async () => {
    const alice = await connect(base, { authorization: `Bearer ${a.tokens.alice}` });
    const admin = await connect(base, { authorization: `Bearer ${a.tokens.admin}` });
    try {
      const names = (await alice.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('greeter.Say.Hello'));
      assert.ok(!names.includes('tools.T.Who'), names.join(', '));
      const refused = await alice.callTool({ name: 'tools.T.Who', arguments: {} });
      assert.equal(refused.isError, true);
      // The error is the text: its output schema promises something else than an error.
      assert.equal(refused.structuredContent, undefined);
      const [text] = refused.content as { type: string; text: string }[];
      assert.equal((JSON.parse(text!.text) as { code: number }).code, 403);
      const who = await admin.callTool({ name: 'tools.T.Who', arguments: {} });
      assert.deepEqual(who.structuredContent, { authorization: `Bearer ${a.tokens.admin}` });
    } finally {
      await alice.close();
      await admin.close();
    }
  });

  it('refuses another account on a session (403)', async () => {
    const opened = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { ...HEADERS, authorization: `Bearer ${a.tokens.alice}` },
      body: INIT,
    });
    assert.equal(opened.status, 200);
    await opened.text();
    const session = opened.headers.get('mcp-session-id') ?? '';
    const r = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        ...HEADERS,
        authorization: `Bearer ${a.tokens.admin}`,
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    assert.equal(r.status, 403);
    assert.ok(isErrorBody(await r.text(), 403));
  });
});
