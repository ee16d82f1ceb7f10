// createMcpServer's resources as the official SDK client sees them (in-memory transport, doubles).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  McpError,
  ResourceListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { RESOURCE_NOT_FOUND, createMcpServer } from '../../../src/proxy/mcp/server.ts';
import { doubleCore, doubleResources } from './doubles.ts';

describe('MCP server: resources', () => {
  it('lists, reads and templates the resources; an unknown one is -32002; tells of changes', async () => {
    const resources = doubleResources();
    const server = createMcpServer(
      { core: doubleCore(), resources, version: '1.0.0' },
      { session: 's', transport: 'stdio', client: 'unknown' },
    );
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'agent', version: '1' });
    await client.connect(b);
    try {
      assert.deepEqual(client.getServerCapabilities()?.resources, { listChanged: true });
      const listed = await client.listResources();
      assert.deepEqual(
        listed.resources.map((r) => r.uri),
        ['micro://services', 'micro://services/greeter'],
      );
      assert.equal(listed.nextCursor, undefined);
      const templates = await client.listResourceTemplates();
      assert.deepEqual(
        templates.resourceTemplates.map((t) => t.uriTemplate),
        ['micro://logs/{service}'],
      );
      const read = await client.readResource({ uri: 'micro://services/greeter' });
      assert.deepEqual(read.contents, [
        {
          uri: 'micro://services/greeter',
          mimeType: 'application/json',
          text: '{"name":"greeter"}',
        },
      ]);
      await assert.rejects(client.readResource({ uri: 'micro://services/nope' }), (e: unknown) => {
        assert.ok(e instanceof McpError);
        assert.equal(e.code, RESOURCE_NOT_FOUND);
        assert.match(e.message, /Resource not found/);
        assert.equal((e.data as { code: number }).code, 404);
        return true;
      });
      const changed = new Promise<void>((resolve) =>
        client.setNotificationHandler(ResourceListChangedNotificationSchema, () => resolve()),
      );
      resources.change();
      await changed;
    } finally {
      await client.close();
    }
  });
});
