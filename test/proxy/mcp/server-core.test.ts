// The protocol layer over the real core (createMcpCore) and real services on 127.0.0.1: the SDK
// client over Streamable HTTP (listenMcpHttp) lists the registry's tools, calls them, gets a
// stream's progress, and hears list_changed when a service starts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createMcpCore } from '../../../src/proxy/mcp/core.ts';
import { listenMcpHttp, type McpListener } from '../../../src/proxy/mcp/http.ts';
import type { McpCore } from '../../../src/proxy/mcp/mcp.ts';
import { endpoint } from '../../../src/runtime/index.ts';
import { quietService } from '../../helpers/fixtures.ts';
import { mcpBench, memoryAudit, type McpBench } from './fixture.ts';

describe('MCP over HTTP with the real core', { timeout: 60_000 }, () => {
  let bench: McpBench;
  let core: McpCore;
  let mcp: McpListener;
  let client: Client;
  let transport: StreamableHTTPClientTransport;
  const audit = memoryAudit();

  before(async () => {
    bench = await mcpBench();
    core = createMcpCore({ registry: bench.registry, client: bench.client, audit });
    mcp = await listenMcpHttp({ core, version: '9.9.9' }, '127.0.0.1:0');
    client = new Client({ name: 'core-agent', version: '1' });
    transport = new StreamableHTTPClientTransport(new URL(`http://${mcp.address}/mcp`));
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
    await mcp?.close();
    await core?.close();
    await bench?.close();
  });

  it("lists the registry's endpoints as tools and calls them", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(names.includes('greeter.Say.Hello'), names.join(', '));
    assert.ok(names.includes('streams.S.Count'));
    assert.ok(!names.includes('tools.T.Secret'), 'mcp:false is no tool');
    const hello = await client.callTool({ name: 'greeter.Say.Hello', arguments: { name: 'Ann' } });
    assert.deepEqual(hello.structuredContent, { msg: 'Hello Ann' });
    const failed = await client.callTool({ name: 'tools.T.Fail', arguments: {} });
    assert.equal(failed.isError, true);
    assert.equal((failed.structuredContent as { code: number }).code, 409);
    await assert.rejects(
      client.callTool({ name: 'tools.T.Secret', arguments: {} }),
      (e: unknown) => e instanceof McpError && e.code === Number(ErrorCode.InvalidParams),
    );
    // The audit names the session as the protocol layer knows it.
    const hi = audit.records.find((r) => r.action === 'greeter.Say.Hello');
    assert.equal(hi?.result, 'ok');
    assert.deepEqual(
      { ...hi?.labels, ip: undefined },
      { client: 'core-agent/1', session: transport.sessionId, transport: 'http', ip: undefined },
    );
    assert.match(hi?.labels?.ip ?? '', /127\.0\.0\.1/);
  });

  it("sends a server stream's messages as progress notifications", async () => {
    const seen: string[] = [];
    const r = await client.callTool({ name: 'streams.S.Count', arguments: { n: 3 } }, undefined, {
      onprogress: (p) => seen.push(p.message ?? ''),
    });
    assert.deepEqual(seen, ['{"i":0}', '{"i":1}', '{"i":2}']);
    assert.deepEqual(r.structuredContent, {
      messages: [{ i: 0 }, { i: 1 }, { i: 2 }],
      truncated: false,
    });
  });

  it('tells the client when a service starts, and lists its tools', async () => {
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    const late = quietService({ name: 'late', registry: bench.registry, address: '127.0.0.1:0' });
    late.handle('L', { Hi: endpoint({}, async () => ({ hi: true })) });
    await late.start();
    try {
      await changed;
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('late.L.Hi'));
    } finally {
      await late.stop();
    }
  });
});
