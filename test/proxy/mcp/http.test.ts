// MCP over Streamable HTTP (listenMcpHttp, createMcpHttp) with the core and resources doubles: the
// official SDK client, then hostile requests by hand. Every refusal is micro's error shape, or a
// JSON-RPC error where the spec shows one; nothing brings the server down.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { listenMcpHttp, type McpListener } from '../../../src/proxy/mcp/http.ts';
import { edgeAuthBench, type EdgeAuthBench } from '../../helpers/edge-auth.ts';
import { isErrorBody, requestAs } from '../../helpers/raw-http.ts';
import { initializeRequest, MCP_HEADERS } from '../../helpers/mcp-wire.ts';
import { doubleCore, doubleResources } from './doubles.ts';

const parts = () => ({ core: doubleCore(), resources: doubleResources(), version: '0.0.1' });

const INIT = JSON.stringify(initializeRequest('curl'));

/** POSTs `body` to /mcp; the status, the session header and the body as text. */
async function post(
  address: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; session: string | null; text: string; headers: Headers }> {
  const res = await fetch(`http://${address}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...headers },
    body,
  });
  return {
    status: res.status,
    session: res.headers.get('mcp-session-id'),
    text: await res.text(),
    headers: res.headers,
  };
}

/** Waits (bounded) until the listener has `n` sessions. */
async function sessions(l: McpListener, n: number): Promise<void> {
  for (let i = 0; i < 200 && l.sessions() !== n; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(l.sessions(), n);
}

describe('MCP over Streamable HTTP', { timeout: 60_000 }, () => {
  let mcp: McpListener;
  before(async () => {
    mcp = await listenMcpHttp(parts(), '127.0.0.1:0');
  });
  after(() => mcp.close());

  it('serves an SDK client: tools, calls, errors, progress, list_changed, resources, DELETE', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`http://${mcp.address}/mcp`));
    const client = new Client({ name: 'http-agent', version: '3' });
    await client.connect(transport);
    try {
      assert.equal(mcp.sessions(), 1);
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('greeter.Say.Hello'));
      const ok = await client.callTool({ name: 'greeter.Say.Hello', arguments: { name: 'Di' } });
      assert.deepEqual(ok.structuredContent, { message: 'Hello Di' });
      const failed = await client.callTool({ name: 'greeter.Say.Fail', arguments: {} });
      assert.equal(failed.isError, true);
      const progress: number[] = [];
      await client.callTool({ name: 'counter.Count.Stream', arguments: { count: 5 } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      assert.deepEqual(progress, [1, 2, 3, 4, 5]);
      // The change may come before the client's GET stream is open: it is held until then.
      const changed = new Promise<void>((resolve) =>
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
      );
      await client.callTool({ name: 'test.Tools.Add', arguments: { name: 'http.New.Tool' } });
      await changed;
      const read = await client.readResource({ uri: 'micro://services' });
      assert.equal(read.contents.length, 1);
      await transport.terminateSession();
      assert.equal(mcp.sessions(), 0, 'DELETE ended the session');
    } finally {
      await client.close();
    }
  });

  it('holds a list_changed sent before the client opened its GET stream, and sends it then', async () => {
    const opened = await post(mcp.address, INIT);
    const headers = {
      'mcp-session-id': opened.session ?? '',
      'mcp-protocol-version': '2025-06-18',
    };
    const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal((await post(mcp.address, initialized, headers)).status, 202);
    const add = JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'test.Tools.Add', arguments: { name: 'held.Tool.X' } },
    });
    assert.match((await post(mcp.address, add, headers)).text, /"id":2/);
    const get = await fetch(`http://${mcp.address}/mcp`, {
      headers: { ...headers, accept: 'text/event-stream' },
    });
    assert.equal(get.status, 200);
    const reader = get.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    for (let i = 0; i < 100 && !seen.includes('list_changed'); i++) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    await reader.cancel();
    assert.match(seen, /notifications\/tools\/list_changed/);
    await fetch(`http://${mcp.address}/mcp`, { method: 'DELETE', headers });
  });

  it('answers a body that is not JSON with a JSON-RPC parse error (400)', async () => {
    const r = await post(mcp.address, '{"jsonrpc": "2.0", ');
    assert.equal(r.status, 400);
    const body = JSON.parse(r.text) as { jsonrpc: string; id: null; error: { code: number } };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.id, null);
    assert.equal(body.error.code, -32700);
  });

  it('refuses JSON that is not JSON-RPC, with or without a session, and the session lives on', async () => {
    for (const body of ['null', '123', '[]', '{"jsonrpc":"2.0"}', '"initialize"']) {
      const r = await post(mcp.address, body);
      assert.equal(r.status, 400, body);
      assert.ok(isErrorBody(r.text, 400), r.text);
    }
    const opened = await post(mcp.address, INIT);
    const headers = {
      'mcp-session-id': opened.session ?? '',
      'mcp-protocol-version': '2025-06-18',
    };
    for (const body of ['null', '123', '{"jsonrpc":"2.0","id":{},"method":"x"}', INIT]) {
      const r = await post(mcp.address, body, headers);
      assert.equal(r.status, 400, body);
      const error = (JSON.parse(r.text) as { error: { code: number } }).error;
      assert.ok(error.code <= -32000, r.text);
    }
    const ping = await post(mcp.address, '{"jsonrpc":"2.0","id":9,"method":"ping"}', headers);
    assert.equal(ping.status, 200);
    assert.match(ping.text, /"id":9/);
    const del = await fetch(`http://${mcp.address}/mcp`, { method: 'DELETE', headers });
    assert.equal(del.status, 200);
    const gone = await post(mcp.address, '{"jsonrpc":"2.0","id":10,"method":"ping"}', headers);
    assert.equal(gone.status, 404);
    assert.ok(isErrorBody(gone.text, 404));
  });

  it('refuses requests with no session, an unknown one, or the wrong method, in the error shape', async () => {
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const none = await post(mcp.address, list);
    assert.equal(none.status, 400);
    assert.ok(isErrorBody(none.text, 400), none.text);
    const unknown = await post(mcp.address, list, { 'mcp-session-id': 'no-such-session' });
    assert.equal(unknown.status, 404);
    assert.ok(isErrorBody(unknown.text, 404), unknown.text);
    const get = await fetch(`http://${mcp.address}/mcp`, {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(get.status, 400);
    assert.ok(isErrorBody(await get.text(), 400));
    const put = await fetch(`http://${mcp.address}/mcp`, { method: 'PUT', body: '{}' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, POST, DELETE');
    assert.ok(isErrorBody(await put.text(), 405));
    const elsewhere = await fetch(`http://${mcp.address}/other`);
    assert.equal(elsewhere.status, 404);
    assert.ok(isErrorBody(await elsewhere.text(), 404));
  });

  it('refuses a foreign Origin (403) and a foreign Host (421); its own origin is served', async () => {
    const foreign = await post(mcp.address, INIT, { origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.ok(isErrorBody(foreign.text, 403), foreign.text);
    const own = await post(mcp.address, INIT, { origin: `http://${mcp.address}` });
    assert.equal(own.status, 200);
    assert.ok(own.session);
    const host = await requestAs(mcp.address, {
      method: 'POST',
      path: '/mcp',
      headers: { host: 'evil.example', ...MCP_HEADERS },
      body: INIT,
    });
    assert.equal(host.status, 421);
    assert.ok(isErrorBody(host.body, 421), host.body);
    await fetch(`http://${mcp.address}/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': own.session },
    });
  });

  it('refuses a body over 4 MiB (413), declared or not', async () => {
    const big = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"${'a'.repeat(4 << 20)}"}}`;
    const r = await post(mcp.address, big);
    assert.equal(r.status, 413);
    assert.ok(isErrorBody(r.text, 413), r.text);
    const chunked = await fetch(`http://${mcp.address}/mcp`, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: new Blob([big]).stream(),
      duplex: 'half',
    });
    assert.equal(chunked.status, 413);
    assert.ok(isErrorBody(await chunked.text(), 413));
  });

  it('binds a session to the token that opened it (another token: 403)', async () => {
    const opened = await post(mcp.address, INIT, { authorization: 'Bearer token-a' });
    assert.equal(opened.status, 200);
    const session = opened.session ?? '';
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' });
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    const other = await post(mcp.address, ping, { ...headers, authorization: 'Bearer token-b' });
    assert.equal(other.status, 403);
    assert.ok(isErrorBody(other.text, 403), other.text);
    const none = await post(mcp.address, ping, headers);
    assert.equal(none.status, 403);
    const same = await post(mcp.address, ping, { ...headers, authorization: 'Bearer token-a' });
    assert.equal(same.status, 200);
    assert.match(same.text, /"id":3/);
  });
});

describe('MCP over Streamable HTTP: auth and bounds', { timeout: 60_000 }, () => {
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  let a: EdgeAuthBench;
  before(async () => {
    a = await edgeAuthBench();
  });
  after(() => a.close());

  it('with a verifier needs a valid token (401 and its challenge otherwise)', async () => {
    const mcp = await listenMcpHttp(parts(), '127.0.0.1:0', { verifier: a.verifier });
    try {
      for (const headers of [{}, as(a.tokens.revoked), as(Object.values(a.bad)[0]!)]) {
        const r = await post(mcp.address, INIT, headers);
        assert.equal(r.status, 401);
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="micro"/);
        assert.ok(isErrorBody(r.text, 401), r.text);
      }
      assert.equal((await post(mcp.address, INIT, as(a.tokens.alice))).status, 200);
    } finally {
      await mcp.close();
    }
  });

  it('refuses an initialize past maxSessions (503); an account past its share loses its oldest', async () => {
    const mcp = await listenMcpHttp(parts(), '127.0.0.1:0', {
      verifier: a.verifier,
      maxSessions: 2,
    });
    try {
      const first = await post(mcp.address, INIT, as(a.tokens.alice));
      assert.equal(first.status, 200);
      assert.equal((await post(mcp.address, INIT, as(a.tokens.admin))).status, 200);
      const third = await post(mcp.address, INIT, as(a.tokens.worker));
      assert.equal(third.status, 503);
      assert.ok(isErrorBody(third.text, 503), third.text);
      assert.ok(third.headers.get('retry-after'));
      // alice's share is one session: her new one closes her first.
      assert.equal((await post(mcp.address, INIT, as(a.tokens.alice))).status, 200);
      const ping = JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' });
      const headers = { ...as(a.tokens.alice), 'mcp-session-id': first.session ?? '' };
      assert.equal((await post(mcp.address, ping, headers)).status, 404);
    } finally {
      await mcp.close();
    }
  });

  it('counts the callers with no account as one, whatever tokens they make up', async () => {
    const mcp = await listenMcpHttp(parts(), '127.0.0.1:0', { maxSessions: 8 });
    try {
      const ids: string[] = [];
      for (const token of ['x', 'y', 'z'])
        ids.push((await post(mcp.address, INIT, as(token))).session ?? '');
      assert.equal(mcp.sessions(), 2, 'a quarter of 8');
      const ping = JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' });
      const status = async (i: number, token: string) =>
        (
          await post(mcp.address, ping, {
            ...as(token),
            'mcp-session-id': ids[i]!,
            'mcp-protocol-version': '2025-06-18',
          })
        ).status;
      assert.deepEqual(
        [await status(0, 'x'), await status(1, 'y'), await status(2, 'z')],
        [404, 200, 200],
      );
    } finally {
      await mcp.close();
    }
  });

  it('closes a session left idle', async () => {
    const mcp = await listenMcpHttp(parts(), '127.0.0.1:0', { idleTimeout: 100 });
    try {
      assert.equal((await post(mcp.address, INIT)).status, 200);
      await sessions(mcp, 0);
    } finally {
      await mcp.close();
    }
  });
});
