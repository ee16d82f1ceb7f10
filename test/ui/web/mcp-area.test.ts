// The dashboard's MCP routes over real HTTP: the tools agents see follow the registry (listed without
// schemas, narrowed and bounded; one tool whole), hostile queries are 400s, a dashboard without MCP
// answers 501; the audited tool calls come with the platform events stream's micro.audit lines,
// their fields checked and cut whatever was published. With auth on, a user sees the tools their
// rules let them call.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMemoryEvents } from '../../../src/platform/events/index.ts';
import type { Events } from '../../../src/platform/events/events.ts';
import type { McpTool } from '../../../src/proxy/mcp/mcp.ts';
import { buildTools } from '../../../src/proxy/mcp/tools.ts';
import { createMemoryRegistry } from '../../../src/registry/index.ts';
import { createClient, type Client, type Registry } from '../../../src/runtime/index.ts';
import { startWeb, type Web } from '../../../src/ui/web/index.ts';
import type { WebMcp } from '../../../src/ui/web/web.ts';
import { auditEvent } from '../../helpers/audit-events.ts';
import { openEventStream } from '../../helpers/event-stream.ts';
import { closeAll, nameSchema, record } from '../../helpers/fixtures.ts';
import {
  ADMIN_SECRET,
  fetchAs,
  loginCookie,
  startAuthedWeb,
  type AuthedWeb,
} from '../../helpers/web-auth.ts';

type Failed = { error: { code: number; detail: string } };
type Listed = {
  tools: Record<string, unknown>[];
  total: number;
  url?: string;
  stdio: unknown;
};

describe('the dashboard: MCP routes', () => {
  let registry: Registry;
  let client: Client;
  let events: Events;
  let web: Web;
  let bare: Web;
  let base = '';
  // The tools micro mcp shows agents, with its default options.
  const mcp: WebMcp = {
    tools: (services) => buildTools(services).tools,
    url: 'http://127.0.0.1:8080/mcp',
  };

  before(async () => {
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
    events = createMemoryEvents();
    web = await startWeb({ address: '127.0.0.1:0', registry, client, events, mcp });
    bare = await startWeb({ address: '127.0.0.1:0', registry, client });
    base = `http://${web.address}`;
  });
  after(() => closeAll(web, bare, client, events, registry));

  const getJson = async <T = Failed>(
    path: string,
    from = base,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${from}/_/api/${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };

  it('lists the tools of the services registered, and one tool whole', async () => {
    const empty = await getJson<Listed>('mcp/tools');
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body, {
      tools: [],
      total: 0,
      url: 'http://127.0.0.1:8080/mcp',
      stdio: { command: 'micro', args: ['mcp', 'serve'] },
    });
    const long = 'd'.repeat(1000);
    await registry.register(
      record('greeter', {
        endpoints: [
          { name: 'Say.Hello', request: nameSchema, metadata: { description: 'Greets' } },
          { name: 'Say.Long', metadata: { description: long } },
        ],
      }),
    );
    let listed = await getJson<Listed>('mcp/tools');
    for (let i = 0; listed.body.total < 2; i++) {
      assert.ok(i < 200, 'the dashboard never saw the service');
      await new Promise((r) => setTimeout(r, 10));
      listed = await getJson<Listed>('mcp/tools');
    }
    assert.deepEqual(listed.body.tools[0], {
      name: 'greeter.Say.Hello',
      service: 'greeter',
      endpoint: 'Say.Hello',
      description: 'Greets',
      scope: 'service:greeter:Say.Hello',
      structured: false,
    });
    // The list carries no schemas, and a description cut to a line.
    assert.equal(listed.body.tools[1]?.description, `${long.slice(0, 299)}…`);
    const one = await getJson<McpTool>('mcp/tool?name=greeter.Say.Long');
    assert.equal(one.body.description, long);
    const hello = await getJson<McpTool>('mcp/tool?name=greeter.Say.Hello');
    assert.deepEqual(hello.body.inputSchema, nameSchema);
    // Narrowed by text (name, description or scope, any case) and bounded by limit.
    const found = await getJson<Listed>('mcp/tools?text=GREETS');
    assert.deepEqual(
      found.body.tools.map((t) => t.name),
      ['greeter.Say.Hello'],
    );
    const page = await getJson<Listed>('mcp/tools?limit=1');
    assert.equal(page.body.tools.length, 1);
    assert.equal(page.body.total, 2);
  });

  it('refuses hostile queries, and says when there is no such tool or no MCP', async () => {
    const cases: [string, number, RegExp][] = [
      ['mcp/tools?limit=0', 400, /limit must be a whole number from 1 to 2000/],
      ['mcp/tools?limit=2001', 400, /limit must be a whole number from 1 to 2000/],
      ['mcp/tools?limit=1&limit=2', 400, /limit must be given once/],
      [`mcp/tools?text=${'t'.repeat(201)}`, 400, /text is longer than 200/],
      ['mcp/tools?evil=1', 400, /takes no field evil/],
      ['mcp/tool', 400, /name is required/],
      [`mcp/tool?name=${'x'.repeat(300)}`, 404, /^no tool x{200}: agents do not see it$/],
    ];
    for (const [path, code, detail] of cases) {
      const r = await getJson(path);
      assert.equal(r.status, code, path);
      assert.match(r.body.error.detail, detail, path);
    }
    const none = await getJson('mcp/tools', `http://${bare.address}`);
    assert.equal(none.status, 501);
    assert.match(none.body.error.detail, /started without the mcp area/);
  });

  it("streams the audit log's events with their fields, checked and cut", async () => {
    await events.publish('micro.audit', auditEvent({ result: 'error', code: 500, ms: 12 }));
    // Anything may sit on a topic: wrong types are left empty, long text cut.
    await events.publish('micro.audit', {
      source: 'mcp',
      actor: 'a'.repeat(1000),
      action: 42,
      result: 'maybe',
      code: '200',
      ms: 'fast',
      detail: 'x'.repeat(1000),
      labels: ['not', 'an', 'object'],
    });
    await events.publish('micro.audit', 'not an object');
    const stream = await openEventStream(`${base}/_/api/events/stream?topic=micro.audit`);
    try {
      await stream.until(/event: events\ndata: .*"offset":3/);
      const data = /event: events\ndata: (.*)\n/.exec(stream.text)?.[1] ?? '';
      const lines = (JSON.parse(data) as { events: { audit?: Record<string, unknown> }[] }).events;
      assert.deepEqual(lines[0]?.audit, {
        source: 'mcp',
        actor: 'alice',
        action: 'greeter.Say.Hello',
        target: 'service:greeter:Say.Hello',
        result: 'error',
        code: 500,
        ms: 12,
        client: 'test-agent/1.0',
        session: 'stdio',
        transport: 'stdio',
      });
      assert.deepEqual(lines[1]?.audit, {
        source: 'mcp',
        actor: 'a'.repeat(256),
        action: '',
        target: '',
        result: '',
        code: 0,
        ms: -1,
        detail: 'x'.repeat(300),
      });
      assert.equal(lines[2]?.audit, undefined);
    } finally {
      stream.close();
    }
  });
});

describe('the dashboard with auth on: MCP routes', () => {
  let w: AuthedWeb;
  before(async () => {
    w = await startAuthedWeb({ mcp: { tools: (services) => buildTools(services).tools } });
    await w.auth.createAccount({ id: 'bob', type: 'user', secret: 'bob-secret-12345' });
  });
  after(() => w.close());

  const names = async (cookie: string, path = '/_/api/mcp/tools'): Promise<unknown> => {
    const res = await fetchAs(w.base, cookie, 'GET', path);
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as Listed).tools.map((t) => t.name);
  };

  it("lists the tools the user's rules let them call, as micro mcp would list them", async () => {
    const admin = await loginCookie(w.base, 'admin', ADMIN_SECRET);
    const bob = await loginCookie(w.base, 'bob', 'bob-secret-12345');
    assert.deepEqual(await names(admin), ['greeter.Say.Hello']);
    // No rule lets bob call the greeter: his agent would see no tool, and neither does he.
    assert.deepEqual(await names(bob), []);
    const one = await fetchAs(w.base, bob, 'GET', '/_/api/mcp/tool?name=greeter.Say.Hello');
    assert.equal(one.status, 404);
    await w.auth.createRule({
      id: 'bob-greeter',
      who: 'account:bob',
      resource: { kind: 'service', name: 'greeter', action: 'Say.Hello' },
      access: 'allow',
    });
    await w.verifier.next();
    assert.deepEqual(await names(bob), ['greeter.Say.Hello']);
    // Without a session, nothing.
    const anonymous = await fetch(`${w.base}/_/api/mcp/tools`);
    assert.equal(anonymous.status, 401);
  });
});
