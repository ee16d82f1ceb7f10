// Hostile arguments to a tool: nested past any schema's depth, or named like Object's own
// properties. The first is the caller's 400 saying so, before any service is called; the second
// reaches the service as plain fields and changes no prototype.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMcpCore } from '../../../src/proxy/mcp/core.ts';
import type { McpCore, ToolResult } from '../../../src/proxy/mcp/mcp.ts';
import { MAX_ARGS_DEPTH } from '../../../src/proxy/mcp/args.ts';
import { mcpBench, stdioCaller, type McpBench } from './fixture.ts';

const who = stdioCaller();
const errorOf = (r: ToolResult) =>
  JSON.parse(r.content[0]?.text ?? 'null') as { code: number; detail: string };

/** `{a: {a: ... {}}}`, `levels` deep, as a JSON parser gives it. */
const nested = (levels: number): unknown =>
  JSON.parse(`${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`);

describe('MCP tool arguments', () => {
  let bench: McpBench;
  let core: McpCore;

  before(async () => {
    bench = await mcpBench();
    core = createMcpCore({ registry: bench.registry, client: bench.client, rate: 0 });
    await core.ready;
  });
  after(async () => {
    await core?.close();
    await bench?.close();
  });

  it('refuses arguments nested past the bound with a 400, streams included', async () => {
    for (const [tool, args] of [
      ['greeter.Say.Hello', { name: 'x', deep: nested(100_000) }],
      ['streams.S.Shout', { messages: [nested(MAX_ARGS_DEPTH + 1)] }],
    ] as const) {
      const r = await core.call(tool, args, who);
      assert.equal(r.isError, true);
      assert.equal(errorOf(r).code, 400, tool);
      assert.match(errorOf(r).detail, /nested deeper than/);
    }
    // At the bound, the call goes through.
    const ok = await core.call(
      'greeter.Say.Hello',
      { name: 'x', deep: nested(MAX_ARGS_DEPTH - 2) },
      who,
    );
    assert.equal(ok.isError, undefined);
  });

  it('passes __proto__ and constructor as plain fields, polluting nothing', async () => {
    const args = JSON.parse(
      '{"name": "a", "__proto__": {"polluted": 1}, "constructor": {"prototype": {"x": 1}}}',
    ) as object;
    const r = await core.call('greeter.Say.Hello', args, who);
    assert.deepEqual(r.structuredContent, { msg: 'Hello a' });
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { x?: unknown }).x, undefined);
  });
});
