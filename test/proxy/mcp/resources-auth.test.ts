// `micro mcp`'s resources with auth on, against a real control plane enforcing it: reads need a
// token, the caller's token is what the platform services see (the edge's client here has none of
// its own), and a refusal is a 403.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroConfig } from '../../../src/platform/config/client.ts';
import { createMicroTrace } from '../../../src/platform/trace/client.ts';
import type { EdgeVerifier } from '../../../src/proxy/auth/edge.ts';
import type { McpCaller } from '../../../src/proxy/mcp/mcp.ts';
import { createMcpResources, type McpResourcesHandle } from '../../../src/proxy/mcp/resources.ts';
import { withToken } from '../../../src/proxy/mcp/token-client.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import type { Registry } from '../../../src/registry/registry.ts';
import type { Client } from '../../../src/runtime/client/client.ts';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';
import { AuthCalls } from '../../helpers/auth-calls.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import { FAILED, sampleSpans } from '../../helpers/trace-fixture.ts';

const status = (code: number) => (err: unknown) => {
  assert.equal((err as { code?: unknown }).code, code, String(err));
  assert.doesNotMatch(String(err), /eyJ/, 'no token in a refusal');
  return true;
};

describe('mcp resources with auth on', () => {
  let cp: TestControlPlane;
  let registry: Registry;
  let client: Client;
  let resources: McpResourcesHandle;
  let verifier: EdgeVerifier;
  let calls: AuthCalls;
  let admin: McpCaller;
  let alice: McpCaller;
  const anonymous: McpCaller = { session: 'a', transport: 'http', client: 'test' };
  const caller = async (token: string): Promise<McpCaller> => ({
    session: token.slice(-8),
    transport: 'http',
    client: 'test',
    token,
    caller: await verifier.verify(token),
  });

  before(async () => {
    cp = await startTestControlPlane('micro-mcp-res-auth-', { auth: true });
    calls = new AuthCalls(cp);
    const adminToken = await calls.admin();
    verifier = cp.controlPlane.auth!.verifier;
    // The edge reads the registry as itself; its calls carry no token of their own.
    registry = createMicroRegistry({ address: cp.address, token: () => adminToken });
    client = createClient({ registry });
    await createMicroTrace({ client: withToken(client, adminToken) }).write(sampleSpans());
    await createMicroConfig({ client: withToken(client, adminToken) }).set('db.max', 5, {
      namespace: 'greeter',
    });
    admin = await caller(adminToken);
    alice = await caller(await calls.account('alice', 'user'));
    resources = createMcpResources({ registry, client, verifier });
  });
  after(async () => {
    resources?.close();
    await client?.close();
    await registry?.close();
    await cp?.stop();
  });

  it('refuses every read without a token', async () => {
    for (const uri of ['micro://services', 'micro://services/config', 'micro://config/greeter'])
      await assert.rejects(resources.read(uri, anonymous), status(403), uri);
  });

  it("reads with the caller's own rights: the admin's, forwarded to the services read", async () => {
    const traces = JSON.parse((await resources.read('micro://traces/greeter', admin))[0]!.text) as {
      traces: { traceId: string }[];
    };
    assert.ok(traces.traces.some((t) => t.traceId === FAILED));
    const config = JSON.parse((await resources.read('micro://config/greeter', admin))[0]!.text) as {
      value: unknown;
    };
    assert.deepEqual(config.value, { db: { max: 5 } });
  });

  it('refuses an account what its rules do not allow, with a 403, until a rule does', async () => {
    const services = JSON.parse((await resources.read('micro://services', alice))[0]!.text) as {
      services: { name: string }[];
    };
    assert.ok(
      services.services.some((s) => s.name === 'config'),
      'accounts read the registry',
    );
    for (const uri of ['micro://traces/greeter', 'micro://logs/greeter', 'micro://config/greeter'])
      await assert.rejects(resources.read(uri, alice), status(403), uri);
    await calls.allow('account:alice', { kind: 'config', name: 'greeter/*', action: 'read' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const got = await resources.read('micro://config/greeter/db.max', alice);
        assert.equal((JSON.parse(got[0]!.text) as { value: unknown }).value, 5);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
});
