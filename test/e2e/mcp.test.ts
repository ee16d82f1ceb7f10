// Issue 21, point 5: services as tools for AI agents, end to end. A real `micro run` (control plane
// and gateway, with MICRO_MCP_DENY naming one endpoint), two services registered in it, and the
// official MCP SDK's client three times: over stdio (the SDK spawns `micro mcp serve --deny ...`
// through this Node, as Claude Desktop would), and over Streamable HTTP (the gateway's /mcp, and
// `micro mcp serve --http`). Each agent
// initializes, lists the tools (their schemas are the registry's), calls one, streams one with
// progress, gets a tool error, is refused a denied tool, and is told the list changed when a third
// service starts; then the audit events of those calls are read with `micro mcp audit`, and the
// CLI's `micro mcp list|call|docs` are checked against the same services.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { AuditEvent } from '../../src/platform/audit/audit.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry, Service } from '../../src/runtime/index.ts';
import { bin, errorOf, micro } from '../helpers/cli.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { scratchDir } from '../helpers/lifecycle.ts';
import {
  billing,
  greeter,
  helloRequest,
  helloResponse,
  httpAgent,
  stdioAgent,
  weather,
  type Agent,
} from '../helpers/mcp-fixture.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The ways an agent reaches the tools: `micro mcp serve` over stdio, the gateway's /mcp, `micro mcp serve --http`. */
const WAYS = ['stdio', 'gateway', 'serve --http'] as const;
type Way = (typeof WAYS)[number];
type Text = { type: 'text'; text: string };
const textOf = (r: object): string => (r as { content?: Text[] }).content?.[0]?.text ?? '';

describe('micro mcp: agents over stdio and the gateway, against a real micro run', () => {
  let env: Record<string, string>;
  let registry: Registry;
  const services: Service[] = [];
  const agents = new Map<Way, Agent>();
  const agent = (way: Way): Agent => agents.get(way) ?? assert.fail(`no agent over ${way}`);
  const cli = (...args: string[]) => micro(['mcp', ...args], { env });

  before(async () => {
    const dir = scratchDir('micro-mcp-e2e-');
    const address = async (): Promise<string> => `127.0.0.1:${await freePort()}`;
    const [plane, api, web] = [await address(), await address(), await address()];
    env = { MICRO_DATA_DIR: join(dir, 'data'), MICRO_REGISTRY_ADDRESS: plane, MICRO_TRACE: 'off' };
    const run = startNode(bin, ['run'], {
      ...env,
      MICRO_API_ADDRESS: api,
      MICRO_WEB_ADDRESS: web,
      MICRO_MCP_DENY: 'billing.Pay.Refund',
    });
    await run.waitFor(/Press Ctrl-C/, 30_000);
    registry = createMicroRegistry({ address: plane });
    services.push(greeter(registry), billing(registry));
    await Promise.all(services.map((s) => s.start()));
    const own = await address();
    const serving = startNode(
      bin,
      ['mcp', 'serve', '--http', own, '--deny', 'billing.Pay.Refund'],
      env,
    );
    await serving.waitFor(/^micro mcp listening on http:\/\/\S+\/mcp/, 30_000);
    agents.set('stdio', await stdioAgent(['--deny', 'billing.Pay.Refund'], env));
    agents.set('gateway', await httpAgent(`http://${api}/mcp`));
    agents.set('serve --http', await httpAgent(`http://${own}/mcp`));
  });
  after(async () => {
    for (const a of agents.values()) await a.mcp.close();
    await stopAll();
    await closeAll(...services, registry);
  });

  for (const transport of WAYS) {
    it(`${transport}: initializes, and lists the exposed tools with the registry's schemas`, async () => {
      const a = agent(transport);
      assert.equal(a.mcp.getServerVersion()?.name.startsWith('micro'), true);
      assert.equal(a.mcp.getServerCapabilities()?.tools?.listChanged, true);
      const { tools } = await a.mcp.listTools();
      const names = tools.map((t) => t.name).sort();
      // Not the hidden ones: mcp: 'false', the deny list, Debug.*, the platform's own services.
      assert.deepEqual(names, [
        'billing.Pay.Charge',
        'billing.Pay.Fail',
        'greeter.Say.Count',
        'greeter.Say.Hello',
      ]);
      const [record] = await registry.getService('greeter');
      const held = record?.endpoints.find((e) => e.name === 'Say.Hello');
      assert.deepEqual(held?.request, helloRequest);
      const hello = tools.find((t) => t.name === 'greeter.Say.Hello');
      assert.deepEqual(hello?.inputSchema, held?.request);
      assert.deepEqual(hello?.outputSchema, helloResponse);
      assert.equal(hello?.description, 'Greets someone by name');
      const count = tools.find((t) => t.name === 'greeter.Say.Count');
      assert.equal(count?.outputSchema?.type, 'object');
      assert.ok(count?.outputSchema?.properties?.messages, 'a stream answers {messages}');
    });

    it(`${transport}: calls a tool, and streams one with progress`, async () => {
      const a = agent(transport);
      const hello = await a.mcp.callTool({ name: 'greeter.Say.Hello', arguments: { name: 'Ann' } });
      assert.notEqual(hello.isError, true, textOf(hello));
      assert.deepEqual(hello.structuredContent, { msg: 'Hello Ann' });
      assert.deepEqual(JSON.parse(textOf(hello)), { msg: 'Hello Ann' });

      const progress: number[] = [];
      const counted = await a.mcp.callTool(
        { name: 'greeter.Say.Count', arguments: { n: 3 } },
        undefined,
        { onprogress: (p) => void progress.push(p.progress) },
      );
      assert.notEqual(counted.isError, true, textOf(counted));
      const answer = counted.structuredContent as { messages: unknown[]; truncated?: boolean };
      assert.deepEqual(answer.messages, [{ i: 0 }, { i: 1 }, { i: 2 }]);
      assert.notEqual(answer.truncated, true);
      assert.deepEqual(progress, [1, 2, 3]);
    });

    it(`${transport}: a failing endpoint is a tool error carrying the error JSON`, async () => {
      const failed = await agent(transport).mcp.callTool({
        name: 'billing.Pay.Fail',
        arguments: {},
      });
      assert.equal(failed.isError, true);
      assert.deepEqual(JSON.parse(textOf(failed)), {
        id: 'billing',
        code: 409,
        detail: 'card declined',
        status: 'Conflict',
      });
    });

    it(`${transport}: reads the services as a resource`, async () => {
      const a = agent(transport);
      const { resources } = await a.mcp.listResources();
      assert.ok(resources.some((r) => r.uri === 'micro://services'));
      const read = await a.mcp.readResource({ uri: 'micro://services/greeter' });
      const text = (read.contents[0] as { text?: string } | undefined)?.text ?? '';
      assert.match(text, /Say\.Hello/);
    });

    it(`${transport}: a denied or hidden tool is refused`, async () => {
      for (const name of [
        'billing.Pay.Refund',
        'billing.Pay.Secret',
        'registry.Registry.ListServices',
      ]) {
        await assert.rejects(
          agent(transport).mcp.callTool({ name, arguments: {} }),
          (err) => err instanceof McpError && err.code === -32602,
          name,
        );
      }
    });
  }

  it('tells every agent the tool list changed when a service starts', async () => {
    const seen = WAYS.map((way) => agent(way).changes);
    const third = weather(registry);
    services.push(third);
    await third.start();
    await Promise.all(WAYS.map((way, i) => agent(way).changedAfter(seen[i] ?? 0, 15_000)));
    for (const way of WAYS) {
      const { tools } = await agent(way).mcp.listTools();
      assert.ok(
        tools.some((t) => t.name === 'weather.Forecast.Today'),
        way,
      );
    }
    // Nothing but the protocol came on stdout: no line the client could not parse.
    assert.deepEqual(agent('stdio').errors, [], agent('stdio').stderr.join(''));
  });

  it('audits every tool call as micro.audit events, read with micro mcp audit', async () => {
    type Row = AuditEvent & { time: number };
    let rows: Row[] = [];
    // The sessions (one over stdio, one per HTTP way) that made this call with this result.
    const sessions = (action: string, transport: string, result: string): number =>
      new Set(
        rows
          .filter((r) => r.action === action && r.result === result)
          .filter((r) => r.labels?.transport === transport)
          .map((r) => r.labels?.session),
      ).size;
    const expected = { stdio: 1, http: 2 };
    const complete = (action: string, result: string): boolean =>
      Object.entries(expected).every(([t, n]) => sessions(action, t, result) >= n);
    // Reports are batched: polled a bounded number of times.
    for (let i = 0; i < 40; i++) {
      const r = await cli('audit', '--output', 'json');
      assert.equal(r.code, 0, r.stderr);
      rows = JSON.parse(r.stdout) as Row[];
      if (complete('greeter.Say.Hello', 'ok') && complete('billing.Pay.Fail', 'error')) break;
      await pause(250);
    }
    const all = JSON.stringify(rows);
    assert.ok(complete('greeter.Say.Hello', 'ok'), `every agent's Say.Hello in ${all}`);
    assert.ok(complete('billing.Pay.Fail', 'error'), `every agent's Pay.Fail in ${all}`);
    const hello = rows.find((r) => r.action === 'greeter.Say.Hello');
    assert.equal(hello?.source, 'mcp');
    assert.equal(hello?.actor, 'anonymous');
    assert.equal(hello?.target, 'service:greeter:Say.Hello');
    assert.equal(hello?.code, 200);
    assert.match(hello?.labels?.client ?? '', /^micro-e2e/);
    assert.equal(rows.find((r) => r.action === 'billing.Pay.Fail')?.code, 409);
    // Who reported each, as the control plane stamped it: the gateway, or micro mcp serve.
    const reporters = new Set(
      rows.filter((r) => r.action === 'greeter.Say.Hello').map((r) => r.reporter),
    );
    assert.ok(reporters.has('api'), [...reporters].join(', '));
    assert.ok(!reporters.has('unknown'), [...reporters].join(', '));
  });

  it('micro mcp list, call and docs show and call the same tools, in process', async () => {
    const [listed, table, called, failed, malformed, docs] = await Promise.all([
      cli('list', '--output', 'json', '--deny', 'billing.Pay.Refund'),
      cli('list'),
      cli('call', 'greeter.Say.Hello', '{"name":"Bo"}'),
      cli('call', 'billing_Pay_Fail', '{}'),
      cli('call', 'greeter.Say.Hello', '{"name":'),
      cli('docs'),
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    const names = (JSON.parse(listed.stdout) as { name: string }[]).map((t) => t.name).sort();
    assert.deepEqual(names, [
      'billing.Pay.Charge',
      'billing.Pay.Fail',
      'greeter.Say.Count',
      'greeter.Say.Hello',
      'weather.Forecast.Today',
    ]);
    assert.match(table.stdout, /^NAME +STREAM +DESCRIPTION$/m);
    assert.match(table.stdout, /^greeter\.Say\.Count +server /m);
    assert.match(table.stdout, /^greeter\.Say\.Hello +- +Greets someone by name$/m);
    assert.equal(called.code, 0, called.stderr);
    assert.deepEqual(JSON.parse(called.stdout), { msg: 'Hello Bo' });
    assert.equal(failed.code, 1);
    assert.deepEqual(errorOf(failed), {
      id: 'billing',
      code: 409,
      detail: 'card declined',
      status: 'Conflict',
    });
    assert.equal(malformed.code, 1);
    assert.equal(errorOf(malformed).code, 400);
    assert.equal(docs.code, 0, docs.stderr);
    assert.match(docs.stdout, /greeter\.Say\.Hello/);
    assert.match(docs.stdout, /```json/);
    assert.doesNotMatch(docs.stdout, /Pay\.Secret/);
  });

  it('micro mcp audit --follow prints each new tool call as it comes', async () => {
    const follow = startNode(bin, ['mcp', 'audit', '--follow', '--output', 'json'], env);
    const table = startNode(bin, ['mcp', 'audit', '--follow'], env);
    // The recent calls first (one JSON object a line), then the new one.
    await follow.waitFor(/"action":"billing\.Pay\.Fail"/, 20_000);
    const [header] = await table.waitFor(/^TIME +ACTOR +TOOL .*$/, 20_000);
    const called = await cli('call', 'weather.Forecast.Today', '{}');
    assert.equal(called.code, 0, called.stderr);
    const [line] = await follow.waitFor(/^\{.*"action":"weather\.Forecast\.Today".*\}$/, 20_000);
    const row = JSON.parse(line) as AuditEvent;
    assert.equal(row.result, 'ok');
    assert.equal(row.labels?.session, 'cli');
    // As text, the new call's line is in the columns of the header printed before it.
    const [text] = await table.waitFor(/^.*weather\.Forecast\.Today.*$/, 20_000);
    assert.equal(
      text.indexOf('weather.Forecast.Today'),
      header.indexOf('TOOL'),
      `${header}\n${text}`,
    );
    await follow.stop();
    await table.stop();
  });
});
