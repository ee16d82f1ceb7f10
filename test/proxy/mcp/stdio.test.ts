// serveMcpStdio in a child process, as an agent runs `micro mcp serve`: the official SDK client over
// its stdin and stdout, and hostile input written to it by hand.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { PassThrough } from 'node:stream';
import { serveMcpStdio } from '../../../src/proxy/mcp/stdio.ts';
import { startNode, stopAll } from '../../helpers/proc.ts';
import { doubleCore } from './doubles.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/stdio-server.ts', import.meta.url));
const REAL = fileURLToPath(new URL('./fixtures/stdio-real.ts', import.meta.url));

const initialize = (id: number): string =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'by-hand', version: '1' },
    },
  });

describe('MCP over stdio', () => {
  after(stopAll);

  it('serves an SDK client: tools, calls, errors, progress, list_changed, resources', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [FIXTURE],
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const client = new Client({ name: 'stdio-agent', version: '2.0' });
    try {
      await client.connect(transport);
      assert.equal(client.getServerVersion()?.name, 'micro');
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('greeter.Say.Hello'));
      const ok = await client.callTool({ name: 'greeter.Say.Hello', arguments: { name: 'Bo' } });
      assert.deepEqual(ok.structuredContent, { message: 'Hello Bo' });
      const failed = await client.callTool({ name: 'greeter.Say.Fail', arguments: {} });
      assert.equal(failed.isError, true);
      assert.equal((failed.structuredContent as { code: number }).code, 500);

      const progress: number[] = [];
      await client.callTool({ name: 'counter.Count.Stream', arguments: { count: 3 } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      assert.deepEqual(progress, [1, 2, 3]);

      const changed = new Promise<void>((resolve) =>
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
      );
      await client.callTool({ name: 'test.Tools.Add', arguments: { name: 'new.Tool.Here' } });
      await changed;
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'new.Tool.Here'));

      const read = await client.readResource({ uri: 'micro://services' });
      assert.deepEqual(read.contents, [
        { uri: 'micro://services', mimeType: 'application/json', text: '["greeter"]' },
      ]);

      // A console.log inside the server goes to stderr, not into the protocol.
      const printed = await client.callTool({ name: 'test.Log.Print', arguments: {} });
      assert.equal(printed.isError, undefined);
      await client.ping();
      assert.match(stderr, /noise on stdout/);
    } finally {
      await client.close();
    }
  });

  it('serves the real core and services: tools, a call, a stream with progress, stdout clean', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [REAL],
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-agent', version: '2.0' });
    try {
      await client.connect(transport);
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('greeter.Say.Hello') && names.includes('streams.S.Count'));
      const hello = await client.callTool({ name: 'greeter.Say.Hello', arguments: { name: 'Al' } });
      assert.deepEqual(hello.structuredContent, { msg: 'Hello Al' });
      const seen: number[] = [];
      const count = await client.callTool(
        { name: 'streams.S.Count', arguments: { n: 4 } },
        undefined,
        { onprogress: (p) => seen.push(p.progress) },
      );
      assert.deepEqual(seen, [1, 2, 3, 4]);
      assert.equal((count.structuredContent as { messages: unknown[] }).messages.length, 4);
    } finally {
      await client.close();
    }
  });

  it('answers a line that is not JSON-RPC with its error, says so on stderr, and goes on', async () => {
    const child = startNode(FIXTURE);
    child.proc.stdin.write('this is not json\n');
    child.proc.stdin.write('{"jsonrpc":"2.0","id":"x","method":5}\n');
    child.proc.stdin.write(`${initialize(1)}\n`);
    const [line] = await child.waitFor(/^\{.*"id":1[,}].*$/);
    const answer = JSON.parse(line) as { result: { serverInfo: { name: string } } };
    assert.equal(answer.result.serverInfo.name, 'micro');
    await child.waitFor(/^stderr: micro mcp: /);
    // Each skipped line got the error JSON-RPC names for it, with id null.
    const errors = child.lines
      .filter((l) => l.includes('"id":null'))
      .map((l) => (JSON.parse(l) as { error: { code: number } }).error.code);
    assert.deepEqual(errors, [-32700, -32600]);
    // Everything on stdout is a JSON-RPC message.
    for (const l of child.lines.filter((l) => !l.startsWith('stderr: ')))
      assert.equal((JSON.parse(l) as { jsonrpc: string }).jsonrpc, '2.0');
    child.proc.stdin.end();
    assert.equal(await child.exited, 0, 'ends by itself when the input ends');
    assert.ok(child.lines.includes('stderr: closed'));
  });

  it('ends the session on a line over the limit, with a message on stderr', async () => {
    const child = startNode(FIXTURE, [], { MAX_LINE: String(64 * 1024) });
    child.proc.stdin.on('error', () => {}); // the server may stop reading before the write ends
    child.proc.stdin.write(`${initialize(1)}\n`);
    await child.waitFor(/^\{.*"id":1[,}].*$/);
    child.proc.stdin.write(
      `{"jsonrpc":"2.0","id":2,"method":"ping","params":{"x":"${'a'.repeat(200_000)}"}}\n`,
    );
    await child.waitFor(/^stderr: micro mcp: a line over 65536 bytes; the session ends/);
    await child.waitFor(/^stderr: closed$/);
    child.proc.stdin.end();
    assert.equal(await child.exited, 0);
  });

  it('answers the calls in flight when the input ends, then exits', async () => {
    const child = startNode(FIXTURE);
    const call = JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'greeter.Say.Hello', arguments: { name: 'Cy' } },
    });
    child.proc.stdin.end(
      `${initialize(1)}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n${call}\n`,
    );
    const [line] = await child.waitFor(/^\{.*"id":2[,}].*$/);
    assert.match(line, /Hello Cy/);
    assert.equal(await child.exited, 0);
  });

  it('never passes a line over the limit on, even within one chunk; a line at the limit is served', async () => {
    const core = doubleCore();
    const warnings: string[] = [];
    const input = new PassThrough();
    const output = new PassThrough();
    let out = '';
    output.setEncoding('utf8').on('data', (c: string) => (out += c));
    const stdio = await serveMcpStdio(
      { core, version: '1', logger: { warn: (m) => void warnings.push(m) } },
      { input, output, maxLine: 1000 },
    );
    const call = (id: number, pad: number): string => {
      const base = { jsonrpc: '2.0', id, method: 'tools/call' };
      const params = { name: 'greeter.Say.Hello', arguments: { name: '' } };
      const empty = JSON.stringify({ ...base, params }).length;
      params.arguments.name = 'x'.repeat(Math.max(0, pad - empty));
      return JSON.stringify({ ...base, params });
    };
    assert.equal(call(2, 1000).length, 1000);
    // initialize, a call of exactly 1000 bytes, one of 1001, then one more: all in one chunk.
    input.write(`${initialize(1)}\n${call(2, 1000)}\n${call(3, 1001)}\n${call(4, 50)}\n`);
    await stdio.closed;
    assert.deepEqual(warnings, ['micro mcp: a line over 1000 bytes; the session ends']);
    const ids = out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: number }).id);
    assert.deepEqual(ids, [1, 2], 'the call at the limit was answered, none after it');
    assert.equal(core.callers.length, 1);
  });
});
