// createMcpServer's tools as the official SDK client sees them (in-memory transport, core double).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer } from '../../../src/proxy/mcp/server.ts';
import type { McpCaller } from '../../../src/proxy/mcp/mcp.ts';
import { doubleCore, tool, type DoubleCore } from './doubles.ts';

/** A client connected to a server over the core double; closed by the returned function. */
async function connect(
  core: DoubleCore,
  pageSize?: number,
): Promise<{ client: Client; who: McpCaller; close: () => Promise<void> }> {
  const who: McpCaller = { session: 's1', transport: 'stdio', client: 'unknown' };
  const server = createMcpServer({ core, version: '1.2.3' }, who, pageSize ? { pageSize } : {});
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'test-agent', version: '0.9' });
  await client.connect(b);
  return { client, who, close: () => client.close() };
}

describe('MCP server: tools', () => {
  it('initializes: names micro and its version, tools with listChanged, the client recorded', async () => {
    const core = doubleCore();
    const { client, who, close } = await connect(core);
    try {
      assert.deepEqual(client.getServerVersion(), {
        name: 'micro',
        title: 'micro services',
        version: '1.2.3',
      });
      assert.deepEqual(client.getServerCapabilities()?.tools, { listChanged: true });
      assert.equal(client.getServerCapabilities()?.resources, undefined, 'no resources given');
      await client.callTool({ name: 'greeter.Say.Hello', arguments: { name: 'Ann' } });
      assert.equal(who.client, 'test-agent/0.9');
      assert.equal(core.callers[0]?.client, 'test-agent/0.9');
    } finally {
      await close();
    }
  });

  it('lists the tools with their schemas, a page at a time', async () => {
    const extra = Array.from({ length: 1200 }, (_, i) =>
      tool(`bulk.Item.N${String(i).padStart(4, '0')}`),
    );
    const core = doubleCore(extra);
    const { client, close } = await connect(core);
    try {
      const first = await client.listTools();
      assert.equal(first.tools.length, 500);
      assert.ok(first.nextCursor);
      const tools = [...first.tools];
      let cursor: string | undefined = first.nextCursor;
      for (let i = 0; i < 10 && cursor; i++) {
        const next = await client.listTools({ cursor });
        tools.push(...next.tools);
        cursor = next.nextCursor;
      }
      const names = tools.map((t) => t.name);
      assert.equal(cursor, undefined, 'the last page has no cursor');
      assert.equal(names.length, 1206);
      assert.equal(new Set(names).size, 1206, 'no tool twice');
      const hello = tools.find((t) => t.name === 'greeter.Say.Hello');
      assert.deepEqual(hello, {
        name: 'greeter.Say.Hello',
        title: 'greeter: Say.Hello',
        description: 'Says hello',
        inputSchema: { type: 'object', properties: { name: { type: 'string' } } },
        outputSchema: { type: 'object', properties: { message: { type: 'string' } } },
      });
      await assert.rejects(
        client.listTools({ cursor: 'not a cursor!' }),
        (e: unknown) => e instanceof McpError && e.code === Number(ErrorCode.InvalidParams),
      );
    } finally {
      await close();
    }
  });

  it('calls a tool: its answer as text and structured content; a failure as a tool error', async () => {
    const { client, close } = await connect(doubleCore());
    try {
      const ok = await client.callTool({ name: 'greeter.Say.Hello', arguments: { name: 'Ann' } });
      assert.deepEqual(ok.structuredContent, { message: 'Hello Ann' });
      assert.deepEqual(ok.content, [{ type: 'text', text: '{"message":"Hello Ann"}' }]);
      assert.equal(ok.isError, undefined);
      const failed = await client.callTool({ name: 'greeter.Say.Fail', arguments: {} });
      assert.equal(failed.isError, true);
      const shape = {
        id: 'greeter',
        code: 500,
        detail: 'it failed',
        status: 'Internal Server Error',
      };
      assert.deepEqual(failed.structuredContent, shape);
      assert.deepEqual(failed.content, [{ type: 'text', text: JSON.stringify(shape) }]);
    } finally {
      await close();
    }
  });

  it('answers an unknown tool with a protocol error -32602 carrying the error shape', async () => {
    const { client, close } = await connect(doubleCore());
    try {
      await assert.rejects(
        client.callTool({ name: 'nope.No.Such', arguments: {} }),
        (e: unknown) => {
          assert.ok(e instanceof McpError);
          assert.equal(e.code, ErrorCode.InvalidParams);
          assert.match(e.message, /Unknown tool: nope\.No\.Such/);
          assert.deepEqual(Object.keys(e.data as object).sort(), [
            'code',
            'detail',
            'id',
            'status',
          ]);
          return true;
        },
      );
    } finally {
      await close();
    }
  });

  it("sends a stream's messages as progress notifications when asked", async () => {
    const { client, close } = await connect(doubleCore());
    try {
      const seen: { progress: number; message?: string }[] = [];
      const result = await client.callTool(
        { name: 'counter.Count.Stream', arguments: { count: 4 } },
        undefined,
        { onprogress: (p) => seen.push({ progress: p.progress, message: p.message }) },
      );
      assert.deepEqual(
        seen,
        [1, 2, 3, 4].map((n) => ({ progress: n, message: `{"n":${n}}` })),
      );
      assert.deepEqual(result.structuredContent, {
        messages: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }],
        truncated: false,
      });
      // Without a progress token no notification is sent (and the call still answers).
      const plain = await client.callTool({ name: 'counter.Count.Stream', arguments: {} });
      assert.equal((plain.structuredContent as { messages: unknown[] }).messages.length, 3);
    } finally {
      await close();
    }
  });

  it('aborts a call the client cancels', async () => {
    const core = doubleCore();
    const { client, close } = await connect(core);
    try {
      const cancel = new AbortController();
      const call = client.callTool({ name: 'slow.Wait.Forever', arguments: {} }, undefined, {
        signal: cancel.signal,
      });
      cancel.abort('the agent changed its mind');
      await assert.rejects(call);
      await core.aborted; // the core's call saw the abort
    } finally {
      await close();
    }
  });

  it('tells the client when the tool list changed, and stops listening when the session ends', async () => {
    const core = doubleCore();
    const { client, close } = await connect(core);
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    assert.equal(core.listeners(), 1);
    core.add('late.Comer.Hi');
    await changed;
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('late.Comer.Hi'));
    await close();
    assert.equal(core.listeners(), 0, 'unsubscribed with the session');
  });
});
