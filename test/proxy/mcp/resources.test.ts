// `micro mcp`'s resources against a real control plane in this process: a greeter registered,
// its traces, log lines and config written through the platform's clients, then read back as
// resources; bad and unknown URIs, the bounds, and the list following services as they come and go.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroConfig } from '../../../src/platform/config/client.ts';
import { createMicroLogs } from '../../../src/platform/logs/client.ts';
import { createMicroTrace } from '../../../src/platform/trace/client.ts';
import type { McpCaller } from '../../../src/proxy/mcp/mcp.ts';
import { createMcpResources, type McpResourcesHandle } from '../../../src/proxy/mcp/resources.ts';
import { createCatalog } from '../../../src/proxy/catalog.ts';
import { createPassthroughJsonCodec } from '../../../src/proxy/codec.ts';
import { mcpFromEnv } from '../../../src/proxy/mcp/index.ts';
import { CodecTable } from '../../../src/runtime/codec/index.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import type { Registry } from '../../../src/registry/registry.ts';
import type { Client } from '../../../src/runtime/client/client.ts';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';
import type { Service } from '../../../src/runtime/service.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import { greeterService } from '../../helpers/fixtures.ts';
import { FAILED, PLAIN, sampleSpans } from '../../helpers/trace-fixture.ts';

const who: McpCaller = { session: 's-1', transport: 'http', client: 'test/1.0' };
const status = (code: number, detail?: RegExp) => (err: unknown) => {
  assert.equal((err as { code?: unknown }).code, code, String(err));
  if (detail) assert.match((err as { detail: string }).detail, detail);
  return true;
};

/** Calls `check` until it passes (at most 10 s), awaiting each try. */
async function eventually(check: () => Promise<void> | void): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('mcp resources over a real control plane', () => {
  let cp: TestControlPlane;
  let registry: Registry;
  let client: Client;
  let greeter: Service;
  let resources: McpResourcesHandle;
  const read = async (uri: string, r = resources): Promise<Record<string, unknown>> => {
    const [content, ...more] = await r.read(uri, who);
    assert.equal(more.length, 0);
    assert.equal(content!.uri, uri);
    assert.equal(content!.mimeType, 'application/json');
    return JSON.parse(content!.text) as Record<string, unknown>;
  };

  before(async () => {
    cp = await startTestControlPlane('micro-mcp-res-');
    registry = createMicroRegistry({ address: cp.address });
    client = createClient({ registry });
    greeter = greeterService(registry);
    await greeter.start();
    await createMicroTrace({ client }).write(sampleSpans());
    const logs = createMicroLogs({ client });
    await logs.write(
      Array.from({ length: 10 }, (_, i) => ({
        time: Date.now() - 1000 + i,
        service: 'greeter',
        level: 'info' as const,
        msg: `line ${i}`,
      })),
    );
    await createMicroConfig({ client }).set(
      'db.pool',
      { max: 10, min: 1 },
      {
        namespace: 'greeter',
      },
    );
    resources = createMcpResources({ registry, client });
  });
  after(async () => {
    resources?.close();
    await greeter?.stop();
    await client?.close();
    await registry?.close();
    await cp?.stop();
  });

  it('lists the services and one resource per service, and the templates', async () => {
    await eventually(async () => {
      const list = await resources.list(who);
      assert.equal(list[0]!.uri, 'micro://services');
      assert.ok(list.some((r) => r.uri === 'micro://services/greeter'));
    });
    assert.deepEqual(
      resources.templates().map((t) => t.uriTemplate),
      [
        'micro://services/{name}',
        'micro://traces/{service}',
        'micro://logs/{service}',
        'micro://config/{namespace}',
        'micro://config/{namespace}/{path}',
      ],
    );
  });

  it('reads the services, and one service with its endpoints and schemas', async () => {
    const all = (await read('micro://services')).services as Record<string, unknown>[];
    assert.deepEqual(
      all.find((s) => s.name === 'greeter'),
      { name: 'greeter', versions: ['1.0.0'], endpoints: ['Say.Hello'], nodes: 1 },
    );
    assert.ok(
      all.some((s) => s.name === 'config'),
      'the platform services are listed too',
    );
    const one = await read('micro://services/greeter');
    assert.equal(one.name, 'greeter');
    const [version] = one.versions as { version: string; nodes: number; endpoints: unknown[] }[];
    assert.equal(version!.version, '1.0.0');
    assert.equal(version!.nodes, 1);
    const [hello] = version!.endpoints as { name: string; request: { required: string[] } }[];
    assert.equal(hello!.name, 'Say.Hello');
    assert.deepEqual(hello!.request.required, ['name']);
  });

  it("reads a service's recent traces, log lines and config", async () => {
    const traces = (await read('micro://traces/greeter')).traces as { traceId: string }[];
    assert.deepEqual(
      traces.map((t) => t.traceId).filter((id) => id === FAILED || id === PLAIN),
      [PLAIN, FAILED],
      'newest first',
    );
    const logs = await read('micro://logs/greeter');
    assert.deepEqual(
      (logs.records as { msg: string }[]).map((r) => r.msg),
      Array.from({ length: 10 }, (_, i) => `line ${i}`),
    );
    assert.deepEqual(await read('micro://config/greeter'), {
      namespace: 'greeter',
      path: '',
      version: 1,
      value: { db: { pool: { max: 10, min: 1 } } },
    });
    const max = { namespace: 'greeter', path: 'db.pool.max', version: 1, value: 10 };
    assert.deepEqual(await read('micro://config/greeter/db.pool.max'), max);
    assert.deepEqual(await read('micro://config/greeter/db/pool/max'), max);
  });

  it('refuses malformed URIs with a 400 and answers unknown ones with a 404', async () => {
    for (const uri of [
      '',
      'micro://services/a%ZZ',
      'micro://services//',
      'micro://services/greeter?x=1',
      'micro://logs/a%1Bb',
      `micro://services/${'a'.repeat(3000)}`,
      'micro://config/bad namespace',
      'micro://config/greeter/db..pool',
    ])
      await assert.rejects(resources.read(uri, who), status(400), uri);
    for (const uri of [
      'http://example.com/x',
      'micro://nothing',
      'micro://services/nobody',
      'micro://services/greeter/extra',
      'micro://traces',
      'micro://config/nobody',
      'micro://config/greeter/db.nothing',
    ])
      await assert.rejects(resources.read(uri, who), status(404), uri);
  });

  it('keeps answers within their bounds, newest lines kept', async () => {
    const catalog = createCatalog({ registry });
    const small = createMcpResources({ catalog, client, maxItems: 3, maxBytes: 400 });
    const tiny = createMcpResources({ catalog, client, maxBytes: 10 });
    try {
      const logs = await read('micro://logs/greeter', small);
      assert.deepEqual(
        (logs.records as { msg: string }[]).map((r) => r.msg),
        ['line 7', 'line 8', 'line 9'],
      );
      assert.equal(logs.truncated, true);
      const services = await small.read('micro://services', who);
      assert.ok(Buffer.byteLength(services[0]!.text) <= 400);
      assert.equal((JSON.parse(services[0]!.text) as { truncated: boolean }).truncated, true);
      const config = await read('micro://config/greeter', tiny);
      assert.equal(config.truncated, true);
      assert.equal(config.value, undefined);
    } finally {
      small.close();
      tiny.close();
      catalog.close();
    }
  });

  it('says when services come and go, not when a service gains a node', async () => {
    let changes = 0;
    const stop = resources.onChange(() => changes++);
    const second = greeterService(registry);
    const other = greeterService(registry, { name: 'other' });
    try {
      await second.start();
      await eventually(async () => {
        const all = (await read('micro://services')).services as { name: string; nodes: number }[];
        assert.equal(all.find((s) => s.name === 'greeter')?.nodes, 2);
      });
      assert.equal(changes, 0);
      await other.start();
      await eventually(() => assert.equal(changes, 1));
      await other.stop();
      await eventually(() => assert.equal(changes, 2));
    } finally {
      stop();
      await second.stop();
    }
  });
});

describe("mcp resources through the gateway's client (JSON answered as bytes)", () => {
  it('reads logs, traces and config as through any other client', async () => {
    const cp = await startTestControlPlane('micro-mcp-res-gw-');
    const registry = createMicroRegistry({ address: cp.address });
    const plain = createClient({ registry });
    // The gateway's codec: JSON passed through as bytes, never parsed.
    const gatewayClient = createClient({
      registry,
      codecs: new CodecTable([createPassthroughJsonCodec()]),
    });
    const stack = mcpFromEnv({
      registry,
      client: gatewayClient,
      version: '1',
      env: { MICRO_AUDIT: 'off' },
    });
    try {
      await createMicroLogs({ client: plain }).write([
        { time: Date.now(), service: 'greeter', level: 'info', msg: 'one line' },
      ]);
      await createMicroConfig({ client: plain }).set('a', 1, { namespace: 'greeter' });
      const text = async (uri: string) => (await stack.resources!.read(uri, who))[0]!.text;
      assert.match(await text('micro://logs/greeter'), /one line/);
      assert.deepEqual(JSON.parse(await text('micro://config/greeter/a')), {
        namespace: 'greeter',
        path: 'a',
        version: 1,
        value: 1,
      });
      assert.match(await text('micro://traces/greeter'), /"traces":\[/);
    } finally {
      await stack.close();
      await gatewayClient.close();
      await plain.close();
      await registry.close();
      await cp.stop();
    }
  });
});
