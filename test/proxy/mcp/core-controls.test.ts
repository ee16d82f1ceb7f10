import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMcpCore } from '../../../src/proxy/mcp/core.ts';
import type { McpCoreOptions, ToolResult } from '../../../src/proxy/mcp/mcp.ts';
import { MicroError } from '../../../src/runtime/errors.ts';
import { edgeAuthBench, type EdgeAuthBench } from '../../helpers/edge-auth.ts';
import { record } from '../../helpers/fixtures.ts';
import { mcpBench, memoryAudit, stdioCaller, type McpBench } from './fixture.ts';

const who = stdioCaller();
// A tool error's JSON, from its text (a tool with an output schema has no structured error).
const errorOf = (r: ToolResult) =>
  JSON.parse(r.content[0]?.text ?? 'null') as {
    id: string;
    code: number;
    detail: string;
    status: string;
  };

describe("the MCP core's controls", () => {
  let bench: McpBench;
  let auth: EdgeAuthBench;
  const cores: { close(): Promise<void> }[] = [];
  const core = async (o: Partial<McpCoreOptions> = {}) => {
    const c = createMcpCore({ registry: bench.registry, client: bench.client, ...o });
    cores.push(c);
    await c.ready;
    return c;
  };

  before(async () => {
    bench = await mcpBench();
    auth = await edgeAuthBench();
  });
  after(async () => {
    for (const c of cores) await c.close();
    await auth?.close();
    await bench?.close();
  });

  it('exposes only what allow matches, never what deny matches', async () => {
    // A platform service: hidden by default, shown when allow names it.
    const store = record('store', { endpoints: [{ name: 'Store.Get', metadata: {} }] });
    await bench.registry.register(store);
    try {
      assert.equal((await core()).find('store.Store.Get'), undefined);
      const allowed = await core({
        allow: ['greeter.*', 'store.*', 'tools.T.Secret'],
        deny: ['*.Say.Bye'],
      });
      // mcp:false stays hidden whatever allows it.
      assert.deepEqual(
        allowed.list(who).map((t) => t.name),
        ['greeter.Say.Hello', 'store.Store.Get'],
      );
      await assert.rejects(allowed.call('tools.T.Who', {}, who), (e: MicroError) => e.code === 404);
    } finally {
      await bench.registry.deregister(store);
    }

    const denied = await core({ deny: ['streams.*', 'tools.T.F*'] });
    assert.deepEqual(
      denied.list(who).map((t) => t.name),
      ['greeter.Say.Hello', 'tools.T.Double', 'tools.T.Null', 'tools.T.Slow', 'tools.T.Who'],
    );
    await assert.rejects(denied.call('tools.T.Fail', {}, who), (e: MicroError) => e.code === 404);
  });

  it('names tools safely on request, and calls them by either name', async () => {
    const safe = await core({ names: 'safe' });
    const names = safe.list(who).map((t) => t.name);
    assert.ok(names.includes('greeter_Say_Hello'));
    for (const n of names) assert.match(n, /^[A-Za-z0-9_-]{1,64}$/);
    for (const name of ['greeter_Say_Hello', 'greeter.Say.Hello']) {
      const r = await safe.call(name, { name: 'Bo' }, who);
      assert.deepEqual(r.structuredContent, { msg: 'Hello Bo' });
    }
  });

  it('limits the calls of each client, with a 429 saying when to retry', async () => {
    const limited = await core({ rate: 1, burst: 2 });
    const call = (caller = who) => limited.call('greeter.Say.Hello', { name: 'x' }, caller);
    assert.equal((await call()).isError, undefined);
    assert.equal((await call()).isError, undefined);
    const refused = await call();
    assert.equal(refused.isError, true);
    assert.equal(errorOf(refused).code, 429);
    assert.match(errorOf(refused).detail, /retry after \d+ s/);
    // Another session has its own budget.
    const other = { ...who, session: 'another' };
    assert.equal((await call(other)).isError, undefined);
    // Over HTTP, an anonymous client is its address: a new session does not refill its bucket.
    const http = (session: string) => ({
      ...who,
      transport: 'http' as const,
      session,
      ip: '127.0.0.9',
    });
    assert.equal((await call(http('h-1'))).isError, undefined);
    assert.equal((await call(http('h-2'))).isError, undefined);
    assert.equal(errorOf(await call(http('h-3'))).code, 429);
    // rate 0: no limit.
    const free = await core({ rate: 0 });
    for (let i = 0; i < 50; i++)
      assert.equal((await free.call('greeter.Say.Hello', { name: 'x' }, who)).isError, undefined);
  });

  it('lists and calls only what the rules allow the caller, forwarding its token', async () => {
    const guarded = await core({ verifier: auth.verifier });
    const alice = await auth.verifier.verify(auth.tokens.alice);
    const admin = await auth.verifier.verify(auth.tokens.admin);
    const asAlice = stdioCaller(alice, auth.tokens.alice);
    const asAdmin = stdioCaller(admin, auth.tokens.admin);
    assert.deepEqual(
      guarded.list(asAlice).map((t) => t.name),
      ['greeter.Say.Hello'],
    );
    assert.ok(guarded.list(asAdmin).length > 1);
    // Anonymous: nothing listed, calls refused with a 401.
    assert.deepEqual(guarded.list(who), []);
    assert.equal(errorOf(await guarded.call('greeter.Say.Hello', { name: 'a' }, who)).code, 401);

    const ok = await guarded.call('greeter.Say.Hello', { name: 'Al' }, asAlice);
    assert.deepEqual(ok.structuredContent, { msg: 'Hello Al' });
    const refused = await guarded.call('tools.T.Who', {}, asAlice);
    assert.equal(refused.isError, true);
    assert.equal(errorOf(refused).code, 403);
    // The service sees the caller's token.
    const seen = await guarded.call('tools.T.Who', {}, asAdmin);
    assert.deepEqual(seen.structuredContent, { authorization: `Bearer ${auth.tokens.admin}` });
  });

  it('audits every call: ok, error and refused, with who and where', async () => {
    const audit = memoryAudit();
    const audited = await core({ audit, verifier: auth.verifier, rate: 1, burst: 3 });
    const admin = await auth.verifier.verify(auth.tokens.admin);
    const alice = await auth.verifier.verify(auth.tokens.alice);
    const asAdmin = { ...stdioCaller(admin, auth.tokens.admin), ip: '127.0.0.1' };
    await audited.call('greeter.Say.Hello', { name: 'a' }, asAdmin);
    await audited.call('tools.T.Fail', {}, asAdmin);
    await assert.rejects(audited.call('nope.X.Y', {}, asAdmin));
    await audited.call('greeter.Say.Hello', { name: 'a' }, asAdmin); // over the rate: refused
    await audited.call('tools.T.Who', {}, stdioCaller(alice, auth.tokens.alice));
    const rows = audit.records.map((r) => [r.actor, r.action, r.target, r.result, r.code]);
    assert.deepEqual(rows, [
      ['admin', 'greeter.Say.Hello', 'service:greeter:Say.Hello', 'ok', 200],
      ['admin', 'tools.T.Fail', 'service:tools:T.Fail', 'error', 409],
      ['admin', 'nope.X.Y', 'unknown', 'refused', 404],
      ['admin', 'greeter.Say.Hello', 'service:greeter:Say.Hello', 'refused', 429],
      ['alice', 'tools.T.Who', 'service:tools:T.Who', 'refused', 403],
    ]);
    const first = audit.records[0];
    assert.equal(first?.source, 'mcp');
    assert.deepEqual(first?.labels, {
      client: 'test-agent/1.0',
      session: 'stdio',
      transport: 'stdio',
      ip: '127.0.0.1',
    });
    assert.ok(typeof first?.ms === 'number' && first.ms >= 0);
    assert.equal(audit.records[1]?.detail, 'it is already there');
    assert.equal(first?.detail, undefined);
  });

  it('audits what a client named without its control characters, cut to the audit limits', async () => {
    const audit = memoryAudit();
    const audited = await core({ audit });
    const name = `x\u0000y\n${'z'.repeat(300)}`;
    await assert.rejects(audited.call(name, {}, { ...who, client: 'evil\u001b[31m/1' }));
    const [r] = audit.records;
    assert.equal(r?.action, `x?y?${'z'.repeat(252)}`);
    assert.equal(r?.labels?.client, 'evil?[31m/1');
    assert.equal(r?.actor, 'anonymous');
  });

  it('refuses options out of range', () => {
    for (const o of [{ rate: -1 }, { timeout: 0 }, { maxMessages: Number.NaN }, { burst: 0 }])
      assert.throws(
        () => createMcpCore({ registry: bench.registry, client: bench.client, ...o }),
        TypeError,
      );
  });
});
