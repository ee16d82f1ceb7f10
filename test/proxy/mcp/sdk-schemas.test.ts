// Registry schemas of every shape as the official SDK's client takes them: it checks the listing,
// compiles each output schema with ajv before it takes any tool, and validates structured content
// against it. One odd schema of one service must not cost an agent the whole list.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createMcpCore } from '../../../src/proxy/mcp/core.ts';
import type { McpCore } from '../../../src/proxy/mcp/mcp.ts';
import type { Schema } from '../../../src/registry/registry.ts';
import {
  createClient,
  createMemoryRegistry,
  endpoint,
  type Service,
} from '../../../src/runtime/index.ts';
import { closeAll, quietService, record } from '../../helpers/fixtures.ts';
import { sdkClient, until } from './fixture.ts';

// Schemas a registry takes (its check is of the root's shape) that the client does not compile or
// whose listing check fails, each as a request and a response of one endpoint of the `odd` service.
const ODD: Record<string, Schema> = {
  NullableNoType: { type: 'object', properties: { a: { nullable: true } } },
  BooleanProperty: { type: 'object', properties: { a: true, b: false } },
  RequiredTrue: { type: 'object', properties: { a: { type: 'string', required: true } } },
  ExternalRef: { type: 'object', properties: { a: { $ref: 'other.json#/x' } } },
  MissingRef: { type: 'object', properties: { a: { $ref: '#/$defs/Missing' } } },
  BadType: { type: 'object', properties: { a: { type: 'strin' } } },
  BadEnum: { type: 'object', properties: { a: { enum: 'x' } } },
  BadPattern: { type: 'object', properties: { a: { type: 'string', pattern: '(' } } },
  Dialect2020: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { a: { $ref: '#/$defs/A' } },
    $defs: { A: { type: 'string' } },
  },
  // Wrapped: a number request as {value}, its response a stream's messages.
  WrappedBad: { type: 'number', minimum: 'x' },
};

describe('registry schemas through the MCP SDK client', () => {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const services: Service[] = [];
  let core: McpCore;
  let sdk: Awaited<ReturnType<typeof sdkClient>>;

  before(async () => {
    await registry.register(
      record('odd', {
        endpoints: Object.entries(ODD).map(([name, s]) => ({
          name: `O.${name}`,
          request: s,
          response: s,
          metadata: Object.fromEntries(name === 'WrappedBad' ? [['stream', 'server']] : []),
        })),
      }),
    );
    // Two answers whose schemas share an $id (TypeBox writes one when asked): each its own.
    const ids = quietService({ name: 'ids', registry, address: '127.0.0.1:0' });
    const shape = (key: string, type: string): Schema => ({
      $id: 'Answer',
      type: 'object',
      properties: { [key]: { type } },
      required: [key],
    });
    ids.handle('I', {
      A: endpoint({ response: shape('a', 'string') }, async () => ({ a: 'x' })),
      B: endpoint({ response: shape('b', 'number') }, async () => ({ b: 1 })),
    });
    services.push(ids);
    await ids.start();
    core = createMcpCore({ registry, client });
    await core.ready;
    await until(
      () => core.find('ids.I.B') !== undefined && core.find('odd.O.BadEnum') !== undefined,
    );
    sdk = await sdkClient(core);
  });
  after(async () => {
    await sdk?.close();
    await closeAll(core, ...services, client, registry);
  });

  it('lists every tool, each schema one the client compiles', async () => {
    const { tools } = await sdk.client.listTools();
    const names = tools.map((t) => t.name);
    for (const name of Object.keys(ODD)) assert.ok(names.includes(`odd.O.${name}`), name);
    for (const t of tools) assert.equal(t.inputSchema.type, 'object');
    // The loosest schema of the same shape: a wrapped request still takes its value.
    const wrapped = tools.find((t) => t.name === 'odd.O.WrappedBad');
    assert.deepEqual(wrapped?.inputSchema.required, ['value']);
    assert.ok(wrapped?.outputSchema?.properties?.messages);
    // What a client can take is kept: the 2020-12 one is fine without its $schema.
    const dialect = tools.find((t) => t.name === 'odd.O.Dialect2020');
    assert.deepEqual(dialect?.inputSchema.properties, { a: { $ref: '#/$defs/A' } });
    assert.equal(dialect?.inputSchema.$schema, undefined);
  });

  it('validates each answer against its own schema when schemas share an $id', async () => {
    await sdk.client.listTools();
    const a = (await sdk.client.callTool({ name: 'ids.I.A', arguments: {} })) as CallToolResult;
    const b = (await sdk.client.callTool({ name: 'ids.I.B', arguments: {} })) as CallToolResult;
    assert.deepEqual([a.structuredContent, b.structuredContent], [{ a: 'x' }, { b: 1 }]);
  });
});
