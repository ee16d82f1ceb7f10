// The control plane's own services are not tools by default: against a real control plane (with
// its runtime service), every service it registers is hidden, and only the user's greeter shows.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMcpCore } from '../../../src/proxy/mcp/core.ts';
import { PLATFORM_SERVICES } from '../../../src/proxy/mcp/tools.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createClient, type Registry } from '../../../src/runtime/index.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import { closeAll, greeterService } from '../../helpers/fixtures.ts';
import { stdioCaller } from './fixture.ts';

describe("the MCP core over a real control plane's registry", () => {
  let plane: TestControlPlane;
  let registry: Registry;

  before(async () => {
    plane = await startTestControlPlane('micro-mcp-', { supervise: true });
    registry = createMicroRegistry({ address: plane.address });
  });
  after(async () => {
    await registry?.close();
    await plane?.stop();
  });

  it('hides every service the control plane registers, and shows the others', async () => {
    const client = createClient({ registry });
    const greeter = greeterService(registry);
    await greeter.start();
    const core = createMcpCore({ registry, client });
    const everything = createMcpCore({ registry, client, allow: ['*'] });
    try {
      await Promise.all([core.ready, everything.ready]);
      const own = (await registry.listServices()).map((s) => s.name).filter((n) => n !== 'greeter');
      assert.ok(own.includes('registry') && own.includes('runtime') && own.includes('store'));
      for (const name of own) assert.ok(PLATFORM_SERVICES.has(name), `${name} is hidden`);
      assert.deepEqual(
        core.list(stdioCaller()).map((t) => t.name),
        ['greeter.Say.Hello'],
      );
      // allow brings them back: the registry's own endpoints among them.
      const all = everything.list(stdioCaller()).map((t) => t.service);
      assert.ok(all.includes('registry') && all.includes('store'));
    } finally {
      await closeAll(core, everything, greeter, client);
    }
  });
});
