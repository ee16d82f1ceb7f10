// `micro mcp`'s resources with no control plane to read from (its trace, logs and config services
// not running): those reads are 503s saying what is missing, not 404s that an agent would take
// for a resource that does not exist; the services, read from the registry, still answer. Hostile
// URIs (traversal, NUL, prototype names) are refused before anything is read.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createMcpResources } from '../../../src/proxy/mcp/resources.ts';
import { createClient, createMemoryRegistry } from '../../../src/runtime/index.ts';
import { closeAll } from '../../helpers/fixtures.ts';
import { stdioCaller } from './fixture.ts';

describe('MCP resources without the control plane', () => {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const resources = createMcpResources({ registry, client });
  after(async () => {
    resources.close();
    await closeAll(client, registry);
  });

  it('answers a read of traces, logs or config with a 503 naming the missing service', async () => {
    const cases = [
      ['micro://traces/greeter', /trace/],
      ['micro://logs/greeter', /logs/],
      ['micro://config/app', /config/],
      ['micro://config/app/db.host', /config/],
    ] as const;
    for (const [uri, area] of cases)
      await assert.rejects(
        resources.read(uri, stdioCaller()),
        (e: Error & { code?: number; detail?: string }) => {
          assert.equal(e.code, 503, uri);
          assert.match(e.detail ?? '', area);
          assert.match(e.detail ?? '', /not running|not reachable/);
          return true;
        },
      );
    const [services] = await resources.read('micro://services', stdioCaller());
    assert.deepEqual(JSON.parse(services?.text ?? ''), { services: [] });
  });

  it('refuses traversal, NUL and prototype names before anything is read', async () => {
    // 400s from the URI's own checks: no service is asked (none runs here to answer).
    for (const uri of [
      'micro://config/app/..%2F..%2Fetc',
      'micro://config/app/%2e%2e',
      'micro://config/app/__proto__',
      'micro://config/app/a.__proto__.b',
      'micro://services/a%00b',
      'micro://logs/%00',
      'micro://config/app/..',
      'micro://config/app/a%2F%2Fb',
    ])
      await assert.rejects(resources.read(uri, stdioCaller()), { code: 400 }, uri);
    // Names that are no service: 404s from the catalog, whatever Object has.
    for (const uri of [
      'micro://services/%2e%2e',
      'micro://services/__proto__',
      'micro://services/constructor',
    ])
      await assert.rejects(resources.read(uri, stdioCaller()), { code: 404 }, uri);
  });
});
