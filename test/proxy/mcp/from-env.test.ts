// mcpFromEnv as an edge starts it: the tools and the resources follow the registry through one
// watch (one catalog), and close stops it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryAudit } from '../../../src/platform/audit/memory.ts';
import { mcpFromEnv } from '../../../src/proxy/mcp/index.ts';
import type { Endpoint, Registry } from '../../../src/registry/registry.ts';
import { createClient, createMemoryRegistry } from '../../../src/runtime/index.ts';
import { closeAll, record } from '../../helpers/fixtures.ts';
import { stdioCaller, until } from './fixture.ts';

describe('mcpFromEnv', () => {
  it('watches the registry once for the tools and the resources', async () => {
    const memory = createMemoryRegistry();
    let watches = 0;
    let stopped = 0;
    const registry: Registry = Object.create(memory) as Registry;
    registry.watch = (o) => {
      watches++;
      const w = memory.watch(o);
      const stop = w.stop.bind(w);
      w.stop = () => (stopped++, stop());
      return w;
    };
    const client = createClient({ registry: memory });
    const stack = mcpFromEnv({
      registry,
      client,
      version: '0',
      env: {},
      audit: createMemoryAudit(),
    });
    try {
      await stack.core.ready;
      await memory.register(record('alpha', { endpoints: [{ name: 'A.Go', metadata: {} }] }));
      await until(() => stack.core.find('alpha.A.Go') !== undefined);
      const listed = await stack.resources?.list(stdioCaller());
      assert.ok(listed?.some((r) => r.uri === 'micro://services/alpha'));
      assert.equal(watches, 1);
    } finally {
      await stack.close();
      await closeAll(client, memory);
    }
    assert.equal(stopped, watches);
  });

  it('shows in the resources only what the tools expose', async () => {
    const memory = createMemoryRegistry();
    const client = createClient({ registry: memory });
    const stack = mcpFromEnv({
      registry: memory,
      client,
      version: '0',
      env: { MICRO_MCP_DENY: 'denied.*' },
      audit: createMemoryAudit(),
    });
    try {
      await stack.core.ready;
      const endpoints: Endpoint[] = [
        { name: 'A.Go', metadata: {} },
        { name: 'A.Secret', metadata: { mcp: 'false' } },
        { name: 'Debug.Health', metadata: {} },
      ];
      await memory.register(record('alpha', { endpoints }));
      await memory.register(record('denied', { endpoints: [{ name: 'B.Go', metadata: {} }] }));
      await until(() => stack.core.find('alpha.A.Go') !== undefined);
      const who = stdioCaller();
      const uris = (await stack.resources!.list(who)).map((r) => r.uri);
      assert.ok(uris.includes('micro://services/alpha'));
      assert.ok(!uris.includes('micro://services/denied'), uris.join(', '));
      const [alpha] = await stack.resources!.read('micro://services/alpha', who);
      const shown = JSON.parse(alpha!.text) as { versions: { endpoints: { name: string }[] }[] };
      assert.deepEqual(
        shown.versions.flatMap((v) => v.endpoints.map((e) => e.name)),
        ['A.Go'],
      );
      await assert.rejects(stack.resources!.read('micro://services/denied', who), {
        code: 404,
      });
      const [all] = await stack.resources!.read('micro://services', who);
      assert.doesNotMatch(all!.text, /Secret|Debug|denied/);
    } finally {
      await stack.close();
      await closeAll(client, memory);
    }
  });
});
