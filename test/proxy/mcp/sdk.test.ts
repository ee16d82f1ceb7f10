// The core's tools and results as the official SDK's client takes them: a minimal SDK Server in
// this test (not server.ts) hands tools/list and tools/call to the core over an in-memory pair,
// and the SDK's client checks what it gets (its schemas, and structured content against each
// tool's output schema).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createMcpCore } from '../../../src/proxy/mcp/core.ts';
import type { McpCore } from '../../../src/proxy/mcp/mcp.ts';
import { conflict, endpoint, serverStream } from '../../../src/runtime/index.ts';
import { closeAll, quietService } from '../../helpers/fixtures.ts';
import { mcpBench, sdkClient, stdioCaller, until, type McpBench } from './fixture.ts';

/** A tool error's `{id, code, detail, status}`, from its text content (what every client reads). */
const errorOf = (r: CallToolResult): { id: string; code: number; detail: string; status: string } =>
  JSON.parse((r.content[0] as { text: string }).text) as ReturnType<typeof errorOf>;

describe("the core's tools through the MCP SDK's client", () => {
  let bench: McpBench;
  let core: McpCore;
  let sdk: Awaited<ReturnType<typeof sdkClient>>;
  let client: Client;

  before(async () => {
    bench = await mcpBench();
    core = createMcpCore({ registry: bench.registry, client: bench.client });
    await core.ready;
    sdk = await sdkClient(core);
    client = sdk.client;
  });
  after(async () => {
    await sdk?.close();
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
    assert.equal(errorOf(odd).code, 502);
  });

  it('answers a 502 tool error when an answer does not match its own output schema', async () => {
    const liar = quietService({ name: 'liar', registry: bench.registry, address: '127.0.0.1:0' });
    const said = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
    liar.handle('L', {
      Get: endpoint({ response: said }, async () => ({ n: 'not a number' })),
      Count: serverStream({ response: said }, async function* () {
        yield { n: 1 };
        yield { n: 'two' };
      }),
    });
    await liar.start();
    try {
      await until(() => core.find('liar.L.Count') !== undefined);
      await client.listTools();
      for (const name of ['liar.L.Get', 'liar.L.Count']) {
        const r = (await client.callTool({ name, arguments: {} })) as CallToolResult;
        assert.equal(r.isError, true, name);
        assert.equal(errorOf(r).code, 502);
        assert.match(errorOf(r).detail, /does not match its output schema: .*must be number/);
      }
    } finally {
      await closeAll(liar);
    }
  });

  it('returns the tool errors of a tool whose output schema the error does not fit', async () => {
    // A typical TypeBox or Zod response schema: required fields, nothing else allowed. The client
    // validates any structured content of such a tool against it, an error's included.
    const strict = quietService({
      name: 'strict',
      registry: bench.registry,
      address: '127.0.0.1:0',
    });
    strict.handle('S', {
      Get: endpoint(
        {
          response: {
            type: 'object',
            properties: { msg: { type: 'string' } },
            required: ['msg'],
            additionalProperties: false,
          },
        },
        async () => {
          throw conflict('strict', 'not now');
        },
      ),
    });
    await strict.start();
    try {
      await until(() => core.find('strict.S.Get') !== undefined);
      await client.listTools();
      const r = (await client.callTool({ name: 'strict.S.Get', arguments: {} })) as CallToolResult;
      assert.equal(r.isError, true);
      assert.deepEqual(errorOf(r), {
        id: 'strict',
        code: 409,
        detail: 'not now',
        status: 'Conflict',
      });
    } finally {
      await closeAll(strict);
    }
  });
});
