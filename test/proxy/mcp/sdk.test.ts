// The core's tools and results as the official SDK's client takes them: a minimal SDK Server in
// this test (not server.ts) hands tools/list and tools/call to the core over an in-memory pair,
// and the SDK's client checks what it gets (its schemas, and structured content against each
// tool's output schema).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { createMcpCore } from '../../../src/proxy/mcp/core.ts';
import type { McpCore } from '../../../src/proxy/mcp/mcp.ts';
import { mcpBench, stdioCaller, type McpBench } from './fixture.ts';

describe("the core's tools through the MCP SDK's client", () => {
  let bench: McpBench;
  let core: McpCore;
  let client: Client;
  let server: Server;

  before(async () => {
    bench = await mcpBench();
    core = createMcpCore({ registry: bench.registry, client: bench.client });
    await core.ready;
    server = new Server({ name: 'test', version: '0' }, { capabilities: { tools: {} } });
    const who = stdioCaller();
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: core.list(who) }));
    server.setRequestHandler(CallToolRequestSchema, async (req) => ({
      ...(await core.call(req.params.name, req.params.arguments, who)),
    }));
    const [a, b] = InMemoryTransport.createLinkedPair();
    client = new Client({ name: 'test-agent', version: '1.0' });
    await Promise.all([server.connect(a), client.connect(b)]);
  });
  after(async () => {
    await client?.close();
    await server?.close();
    await core?.close();
    await bench?.close();
  });

  it('lists the tools with their schemas', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      core.list(stdioCaller()).map((t) => t.name),
    );
    const hello = tools.find((t) => t.name === 'greeter.Say.Hello');
    assert.deepEqual(hello?.inputSchema.required, ['name']);
    assert.equal(hello?.outputSchema?.type, 'object');
  });

  it('calls unary, wrapped and stream tools; their structured content passes the output schemas', async () => {
    // The client checks structuredContent against the listed outputSchema, and refuses a mismatch.
    await client.listTools();
    const hello = (await client.callTool({
      name: 'greeter.Say.Hello',
      arguments: { name: 'Ann' },
    })) as CallToolResult;
    assert.deepEqual(hello.structuredContent, { msg: 'Hello Ann' });
    const double = (await client.callTool({
      name: 'tools.T.Double',
      arguments: { value: 4 },
    })) as CallToolResult;
    assert.deepEqual(double.content, [{ type: 'text', text: '8' }]);
    const count = (await client.callTool({
      name: 'streams.S.Count',
      arguments: { n: 2 },
    })) as CallToolResult;
    assert.deepEqual(count.structuredContent, { messages: [{ i: 0 }, { i: 1 }], truncated: false });
  });

  it('returns a tool error the client reads as one', async () => {
    const r = (await client.callTool({ name: 'tools.T.Fail', arguments: {} })) as CallToolResult;
    assert.equal(r.isError, true);
    assert.equal((r.structuredContent as { code: number }).code, 409);
    // A tool error of a tool with an output schema: the error, not what the schema describes.
    await client.listTools();
    const odd = (await client.callTool({ name: 'tools.T.Null', arguments: {} })) as CallToolResult;
    assert.equal(odd.isError, true);
    assert.equal((odd.structuredContent as { code: number }).code, 502);
  });
});
