// The core's audit records as the audit area takes them (createMemoryAudit checks each record as
// the control plane's `audit` service does, and drops a bad one): every call reaches it, refusals
// of unknown or odd names included, whoever calls.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMemoryAudit, type MemoryAudit } from '../../../src/platform/audit/memory.ts';
import { createMcpCore } from '../../../src/proxy/mcp/core.ts';
import type { McpCore } from '../../../src/proxy/mcp/mcp.ts';
import { createClient, createMemoryRegistry } from '../../../src/runtime/index.ts';
import { closeAll } from '../../helpers/fixtures.ts';
import { stdioCaller } from './fixture.ts';

describe("the MCP core's audit records", () => {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  let audit: MemoryAudit;
  let core: McpCore;

  before(async () => {
    audit = createMemoryAudit();
    core = createMcpCore({ registry, client, audit, rate: 1, burst: 3 });
    await core.ready;
  });
  after(() => closeAll(core, client, registry));

  it('records refusals of unknown, empty and odd names, and of the rate, none dropped', async () => {
    const odd = stdioCaller({ id: '', kind: 'user' } as never);
    for (const name of ['nope.X.Y', '', 'a\u0000b'.repeat(200)])
      await assert.rejects(core.call(name, {}, odd), { code: 404 });
    const limited = await core.call('nope.X.Y', {}, odd);
    assert.equal(limited.isError, true);
    assert.equal(audit.dropped(), 0);
    const events = audit.events();
    assert.deepEqual(
      events.map((e) => [e.result, e.code]),
      [
        ['refused', 404],
        ['refused', 404],
        ['refused', 404],
        ['refused', 429],
      ],
    );
    for (const e of events) {
      assert.ok(e.action.length > 0 && e.target.length > 0 && e.actor.length > 0);
      assert.doesNotMatch(e.action, /\p{Cc}/u);
    }
  });
});
