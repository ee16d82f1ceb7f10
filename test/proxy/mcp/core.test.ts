import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHANGE_QUIET, createMcpCore } from '../../../src/proxy/mcp/core.ts';
import type { McpCore, ToolResult } from '../../../src/proxy/mcp/mcp.ts';
import { MicroError } from '../../../src/runtime/errors.ts';
import { closedAddress } from '../../helpers/cli.ts';
import { closeAll, record } from '../../helpers/fixtures.ts';
import { createPassthroughJsonCodec } from '../../../src/proxy/codec.ts';
import { CodecTable, createClient } from '../../../src/runtime/index.ts';
import { mcpBench, stdioCaller, until, type McpBench } from './fixture.ts';

const who = stdioCaller();
const text = (r: ToolResult): unknown => JSON.parse(r.content[0]?.text ?? 'null');

describe('the MCP core', () => {
  let bench: McpBench;
  let core: McpCore;

  before(async () => {
    bench = await mcpBench();
    core = createMcpCore({ registry: bench.registry, client: bench.client });
    await core.ready;
  });
  after(async () => {
    await core?.close();
    await bench?.close();
  });

  it('lists every exposed endpoint of the running services', () => {
    assert.deepEqual(
      core.list(who).map((t) => t.name),
      [
        'greeter.Say.Hello',
        'streams.S.Count',
        'streams.S.Forever',
        'streams.S.Hold',
        'streams.S.Shout',
        'streams.S.Sum',
        'tools.T.Double',
        'tools.T.Fail',
        'tools.T.Null',
        'tools.T.Slow',
        'tools.T.Who',
      ],
    );
    const hello = core.find('greeter.Say.Hello');
    assert.equal(hello?.inputSchema.type, 'object');
    assert.deepEqual(hello?.inputSchema.required, ['name']);
    // Hidden: Debug endpoints, and what metadata mcp:false marks.
    assert.equal(core.find('greeter.Debug.Health'), undefined);
    assert.equal(core.find('tools.T.Secret'), undefined);
  });

  it('tells a listener subscribed before the first read of no change until there is one', async () => {
    const fresh = createMcpCore({ registry: bench.registry, client: bench.client });
    let changes = 0;
    const stop = fresh.onChange(() => changes++);
    try {
      await fresh.ready;
      // The first read (every service already there) is no change: none is told within five
      // times the quiet time, after which a new service is the first.
      await new Promise((r) => setTimeout(r, CHANGE_QUIET * 5));
      assert.equal(changes, 0);
      await bench.registry.register(
        record('gamma', { endpoints: [{ name: 'G.Go', metadata: {} }] }),
      );
      await until(() => fresh.find('gamma.G.Go') !== undefined && changes >= 1);
      assert.equal(changes, 1);
    } finally {
      stop();
      await bench.registry.deregister(record('gamma'));
      await fresh.close();
    }
  });

  it('follows services coming and going: one change per burst, none for node churn', async () => {
    let changes = 0;
    const stop = core.onChange(() => changes++);
    try {
      // A burst: two services registered at once are one change.
      await bench.registry.register(
        record('alpha', { endpoints: [{ name: 'A.Go', metadata: {} }] }),
      );
      await bench.registry.register(
        record('beta', { endpoints: [{ name: 'B.Go', metadata: {} }] }),
      );
      await until(() => changes >= 1);
      assert.ok(core.find('alpha.A.Go') && core.find('beta.B.Go'));

      // Node churn: another node of alpha, and it going again, change no tool.
      const second = record('alpha', {
        endpoints: [{ name: 'A.Go', metadata: {} }],
        node: 'alpha-2',
        address: '127.0.0.1:10',
      });
      await bench.registry.register(second);
      await bench.registry.deregister(second);
      // Then a real change: beta goes. Had the churn or the burst been told, changes would be 3.
      await bench.registry.deregister(record('beta'));
      await until(() => changes >= 2);
      assert.equal(core.find('beta.B.Go'), undefined);
      assert.ok(core.find('alpha.A.Go'));
      await bench.registry.deregister(record('alpha'));
      await until(() => changes >= 3);
      assert.equal(changes, 3);
      assert.equal(core.find('alpha.A.Go'), undefined);
    } finally {
      stop();
    }
  });

  it('tells of a change to what a tool says of itself: its annotations too', async () => {
    let changes = 0;
    const stop = core.onChange(() => changes++);
    const gamma = (metadata: Record<string, string>) =>
      record('gamma', { endpoints: [{ name: 'G.Put', metadata }] });
    try {
      await bench.registry.register(gamma({}));
      await until(() => changes >= 1);
      // Now idempotent: the same name and schemas, another annotation an agent relies on.
      await bench.registry.register(gamma({ idempotent: 'true' }));
      await until(() => core.find('gamma.G.Put')?.annotations?.idempotentHint === true);
      await until(() => changes >= 2);
    } finally {
      stop();
      await bench.registry.deregister(record('gamma'));
    }
  });

  it('calls a tool: the answer as JSON text and, with an output schema, as structured content', async () => {
    const r = await core.call('greeter.Say.Hello', { name: 'Ann' }, who);
    assert.equal(r.isError, undefined);
    assert.deepEqual(text(r), { msg: 'Hello Ann' });
    assert.deepEqual(r.structuredContent, { msg: 'Hello Ann' });
  });

  it('sends a request that is not an object as the value argument', async () => {
    const r = await core.call('tools.T.Double', { value: 21 }, who);
    assert.equal(text(r), 42);
    assert.equal(r.structuredContent, undefined);
    const missing = await core.call('tools.T.Double', {}, who);
    assert.equal(missing.isError, true);
    assert.equal((text(missing) as { code: number }).code, 400);
  });

  it('collects a server stream, telling each message as progress', async () => {
    const seen: [number, unknown][] = [];
    const r = await core.call('streams.S.Count', { n: 3 }, who, {
      progress: (count, message) => seen.push([count, message]),
    });
    const answer = { messages: [{ i: 0 }, { i: 1 }, { i: 2 }], truncated: false };
    assert.deepEqual(text(r), answer);
    assert.deepEqual(r.structuredContent, answer);
    assert.deepEqual(seen, [
      [1, { i: 0 }],
      [2, { i: 1 }],
      [3, { i: 2 }],
    ]);
  });

  it('sends the messages of client and bidi streams', async () => {
    const sum = await core.call('streams.S.Sum', { messages: [{ n: 1 }, { n: 2 }, { n: 4 }] }, who);
    assert.deepEqual(text(sum), { sum: 7 });
    const shout = await core.call(
      'streams.S.Shout',
      { messages: [{ word: 'a' }, { word: 'b' }] },
      who,
    );
    assert.deepEqual(text(shout), { messages: [{ word: 'A' }, { word: 'B' }], truncated: false });
    const bad = await core.call('streams.S.Sum', { messages: 'no' }, who);
    assert.equal((text(bad) as { code: number }).code, 400);
  });

  it("answers a service's error as a tool error carrying its JSON", async () => {
    const r = await core.call('tools.T.Fail', {}, who);
    assert.equal(r.isError, true);
    const expected = { id: 'tools', code: 409, detail: 'it is already there', status: 'Conflict' };
    assert.deepEqual(text(r), expected);
    // Structured too, as the tool has no output schema to hold it against.
    assert.deepEqual(r.structuredContent, expected);
    // A bad request is the service's 400, as a tool error too: in text only, as the tool's output
    // schema does not describe an error.
    const bad = await core.call('greeter.Say.Hello', { name: 7 }, who);
    assert.equal(bad.isError, true);
    assert.equal((text(bad) as { code: number }).code, 400);
    assert.equal(bad.structuredContent, undefined);
  });

  it('answers a 502 tool error for an answer over the byte limit or not the object promised', async () => {
    const small = createMcpCore({
      registry: bench.registry,
      client: bench.client,
      maxResultBytes: 64,
    });
    try {
      await small.ready;
      const big = await small.call('greeter.Say.Hello', { name: 'x'.repeat(100) }, who);
      assert.equal(big.isError, true);
      assert.equal((text(big) as { code: number }).code, 502);
      assert.match((text(big) as { detail: string }).detail, /at most 64/);
      assert.equal((await small.call('greeter.Say.Hello', { name: 'x' }, who)).isError, undefined);
    } finally {
      await small.close();
    }
    const nothing = await core.call('tools.T.Null', {}, who);
    assert.equal(nothing.isError, true);
    assert.equal((text(nothing) as { code: number }).code, 502);
  });

  it("reads answers that come as bytes (the gateway's pass-through client)", async () => {
    const raw = createClient({
      registry: bench.registry,
      codecs: new CodecTable([createPassthroughJsonCodec()]),
    });
    const viaGateway = createMcpCore({ registry: bench.registry, client: raw });
    try {
      await viaGateway.ready;
      const hello = await viaGateway.call('greeter.Say.Hello', { name: 'Ann' }, who);
      assert.deepEqual(hello.structuredContent, { msg: 'Hello Ann' });
      const count = await viaGateway.call('streams.S.Count', { n: 2 }, who);
      assert.deepEqual(count.structuredContent, {
        messages: [{ i: 0 }, { i: 1 }],
        truncated: false,
      });
    } finally {
      await closeAll(viaGateway, raw);
    }
  });

  it('throws a 404 MicroError for a tool that is unknown or not exposed', async () => {
    for (const name of ['nope.X.Y', 'tools.T.Secret', 'greeter.Debug.Health', 'x'.repeat(1000)])
      await assert.rejects(
        core.call(name, {}, who),
        (err: unknown) => err instanceof MicroError && err.code === 404,
      );
  });

  it('ends a stream at the timeout, the message limit or the byte limit, with what it got', async () => {
    const bounded = createMcpCore({
      registry: bench.registry,
      client: bench.client,
      maxMessages: 2,
    });
    try {
      await bounded.ready;
      const cut = await bounded.call('streams.S.Count', { n: 5 }, who);
      assert.deepEqual(text(cut), { messages: [{ i: 0 }, { i: 1 }], truncated: true });
      // Each {"i":n} is 8 bytes with its comma: 20 bytes hold two.
      const few = createMcpCore({
        registry: bench.registry,
        client: bench.client,
        maxResultBytes: 20,
      });
      try {
        await few.ready;
        const small = await few.call('streams.S.Count', { n: 5 }, who);
        assert.deepEqual(text(small), { messages: [{ i: 0 }, { i: 1 }], truncated: true });
      } finally {
        await few.close();
      }
      let progress = 0;
      // Forever sends every 20 ms: a second is ample for the first message on a busy machine.
      const slow = createMcpCore({ registry: bench.registry, client: bench.client, timeout: 1000 });
      try {
        await slow.ready;
        const r = await slow.call('streams.S.Forever', {}, who, { progress: () => progress++ });
        const answer = text(r) as { messages: unknown[]; truncated: boolean };
        assert.equal(answer.truncated, true);
        assert.ok(answer.messages.length >= 1);
        assert.equal(progress, answer.messages.length);
        // A client stream with no answer in time is a 408.
        const held = await slow.call('streams.S.Hold', { messages: [{}] }, who);
        assert.equal(held.isError, true);
        assert.equal((text(held) as { code: number }).code, 408);
      } finally {
        await slow.close();
      }
    } finally {
      await bounded.close();
    }
  });

  it('answers a unary call at once when it is aborted', async () => {
    // The service's side runs on to its deadline (1 s here), so that stopping it does not wait long.
    const short = createMcpCore({ registry: bench.registry, client: bench.client, timeout: 1000 });
    try {
      await short.ready;
      const abort = new AbortController();
      const r = short.call('tools.T.Slow', {}, who, { signal: abort.signal });
      setTimeout(() => abort.abort(), 50);
      assert.equal((text(await r) as { code: number }).code, 499);
      // Aborted before it starts: not called at all.
      const early = await short.call('tools.T.Slow', {}, who, { signal: AbortSignal.abort() });
      assert.equal((text(early) as { code: number }).code, 499);
    } finally {
      await short.close();
    }
  });

  it('answers a service that cannot be reached as a tool error', async () => {
    const gone = record('gone', {
      endpoints: [{ name: 'G.Go', metadata: {} }],
      address: await closedAddress(),
    });
    await bench.registry.register(gone);
    try {
      await until(() => core.find('gone.G.Go') !== undefined);
      const r = await core.call('gone.G.Go', {}, who);
      assert.equal(r.isError, true);
      assert.ok((text(r) as { code: number }).code >= 500);
    } finally {
      await bench.registry.deregister(gone);
    }
  });

  it('stops a stream when the call is aborted', async () => {
    const abort = new AbortController();
    const r = core.call('streams.S.Forever', {}, who, {
      signal: abort.signal,
      progress: (count) => count === 2 && abort.abort(),
    });
    const result = await r;
    assert.equal(result.isError, true);
    assert.equal((text(result) as { code: number }).code, 499);
  });
});
