// The sidecar's answers to bad input (issue 12): every refusal a 4xx in the error shape, with the
// status it is due (408, 431, 405 ...), never a 500, a library's own shape or an empty body; deadlines
// past Node's timer range honoured; and no request blocking the event loop.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { postJson } from '../helpers/fixtures.ts';
import { maxLoopDelay } from '../helpers/fuzz.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { startSidecarBench, type SidecarBench } from './sidecar-fixture.ts';

const DEEP = '['.repeat(100_000) + ']'.repeat(100_000);

/** The status, content type and JSON body of the answer to bytes sent as they are (5 s at most). */
async function exchange(
  address: string,
  text: string,
): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const res = await rawExchange(Number(address.split(':')[1]), [text]);
  const type = res.headers['content-type'] ?? '';
  return {
    status: res.status,
    type,
    body: JSON.parse(res.body || 'null') as Record<string, unknown>,
  };
}

/** Asserts an answer is the error shape with the given status. */
function assertShape(status: number, body: unknown, want: number, what: string): void {
  assert.equal(status, want, `${what}: ${JSON.stringify(body)}`);
  assert.ok(body && typeof body === 'object', `${what}: a JSON body`);
  assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'id', 'status'], what);
  assert.equal((body as { code: number }).code, want, what);
}

describe("the sidecar's answers to bad input", () => {
  let bench: SidecarBench;
  let sidecar: SidecarBench['sidecar'];
  let base = '';
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    postJson(`${base}${path}`, body, headers);
  const expect = async (res: Response, want: number, what: string) =>
    assertShape(res.status, await res.json(), want, what);

  before(async () => {
    bench = await startSidecarBench();
    ({ sidecar, base } = bench);
  });
  after(() => bench.close());

  it('honours a Micro-Timeout past 2^31-1 ms and refuses garbage with a 400 naming it', async () => {
    const call = '{"service":"greeter","endpoint":"Say.Hello","request":{"name":"Ann"}}';
    const far = await post('/rpc', call, { 'micro-timeout': '2147483648' });
    assert.equal(far.status, 200, 'Node fires a timer over 2^31-1 ms at once: this was a 408');
    assert.deepEqual(await far.json(), { msg: 'Hello Ann' });
    for (const value of ['abc', '-5', '1e400']) {
      const res = await post('/rpc', call, { 'micro-timeout': value });
      const body = (await res.clone().json()) as { detail: string };
      await expect(res, 400, `Micro-Timeout: ${value}`);
      assert.match(body.detail, /Micro-Timeout/);
    }
  });

  it('answers bodies of the wrong shape or depth with 400s, never a 500', async () => {
    const cases: [string, string, string][] = [
      ['/rpc', 'null', 'a null body'],
      ['/rpc', '5', 'a number'],
      ['/rpc', '"greeter"', 'a string'],
      ['/rpc', '[1]', 'an array'],
      ['/rpc', '{"service":5,"endpoint":"Say.Hello"}', 'a numeric service'],
      ['/rpc', '{"service":"greeter","endpoint":["Say.Hello"]}', 'an array endpoint'],
      [
        '/rpc',
        '{"service":"greeter","endpoint":"Say.Hello","request":"{"}',
        'a request that is not JSON',
      ],
      ['/rpc', DEEP, 'deep JSON'],
      ['/rpc', `{"service":"greeter","endpoint":"Say.Hello","request":${DEEP}}`, 'a deep request'],
      [
        '/rpc',
        JSON.stringify({ service: 'greeter', endpoint: 'Say.Hello', request: DEEP }),
        'a deep request in a string',
      ],
      ['/greeter/Say.Hello', DEEP, 'a deep body to a service'],
      ['/v1.0/invoke/greeter/method/Say.Hello', DEEP, 'a deep body on the Dapr path'],
      ['/publish/t', DEEP, 'a deep message'],
      ['/registry', '{"name":"x","nodes":5}', 'nodes that are not an array'],
      ['/registry', '{"name":"x","nodes":[null]}', 'a null node'],
      ['/registry', '{"name":"x","endpoints":"abc"}', 'endpoints that are not an array'],
      ['/registry', '{"name":"x","metadata":{"a":1}}', 'metadata that is not strings'],
      ['/registry', '{"name":"x","nodes":[{"id":1,"address":"127.0.0.1:1"}]}', 'a numeric node id'],
    ];
    for (const [path, body, what] of cases) await expect(await post(path, body), 400, what);
    const form = await post('/rpc', DEEP, { 'content-type': 'application/x-www-form-urlencoded' });
    await expect(form, 400, 'deep JSON labelled a form');
    await expect(await fetch(`${base}/registry?service=a&service=b`), 400, 'a repeated ?service');
    await expect(
      await fetch(`${base}/registry`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"x","nodes":{}}',
      }),
      400,
      'a deregistration with nodes that are not an array',
    );
    assert.equal((await fetch(`${base}/health`)).status, 200);
  });

  it('parses a form of 1.4 million fields without blocking: a 400 past the field limit', async () => {
    const body = 'a=&'.repeat(1_390_000); // just under the 4 MiB body limit
    let res: Response | undefined;
    const stall = await maxLoopDelay(async () => {
      res = await post('/rpc', body, { 'content-type': 'application/x-www-form-urlencoded' });
    });
    await expect(res!, 400, '1.4 million form fields');
    assert.ok(stall < 200, `the event loop stalled ${stall.toFixed(0)} ms`);
  });

  it("answers what Node's and fastify's parsers refuse in the error shape", async () => {
    const [, port] = sidecar.address.split(':');
    const big = await exchange(
      sidecar.address,
      `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assertShape(big.status, big.body, 431, 'headers too large');
    const hostless = await exchange(sidecar.address, 'GET /health HTTP/1.1\r\n\r\n');
    assertShape(hostless.status, hostless.body, 400, 'HTTP/1.1 without Host (Node: an empty 400)');
    const garbage = await exchange(sidecar.address, 'GARBAGE\r\n\r\n');
    assertShape(garbage.status, garbage.body, 400, 'a malformed request line');
    await expect(await fetch(`${base}/%E0%A4%A`), 400, 'bad percent-encoding');
    await expect(
      await fetch(`${base}/v1.0/invoke/${'a'.repeat(5000)}/method/X`, { method: 'POST' }),
      414,
      'a path parameter too long',
    );
  });

  it('refuses WebSocket upgrades with an HTTP answer whose body is the error JSON', async () => {
    const upgrade = (path: string, method = 'GET', key = 'dGhlIHNhbXBsZSBub25jZQ==') =>
      `${method} ${path} HTTP/1.1\r\nHost: ${sidecar.address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    for (const [text, status, what] of [
      [upgrade('/elsewhere'), 404, 'an upgrade to no socket'],
      [upgrade('/broker'), 400, 'no topic'],
      [upgrade('/broker?topic=t', 'GET', 'short'), 400, 'a bad Sec-WebSocket-Key'],
      [upgrade('/broker?topic=t', 'POST'), 405, 'a POST upgrade'],
      [
        upgrade(`//${'%20'.repeat(101)}`),
        404,
        'a target new URL() throws on (it ended the process)',
      ],
    ] as const) {
      const answer = await exchange(sidecar.address, text);
      assert.match(answer.type, /^application\/json/, what);
      assertShape(answer.status, answer.body, status, what);
    }
    assert.equal((await fetch(`${base}/health`)).status, 200, 'the sidecar still serves');
  });

  it('answers a broker frame nested too deep with a 400 frame, and keeps the socket', async () => {
    const ws = new WebSocket(`ws://${sidecar.address}/broker?topic=frames`);
    const frames: unknown[] = [];
    ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
    while (frames.length < 1) await once(ws, 'message');
    ws.send(DEEP);
    while (frames.length < 2) await once(ws, 'message');
    assertShape(400, frames[1], 400, 'a deep frame');
    ws.send('{"ok":true}');
    while (frames.length < 3) await once(ws, 'message');
    assert.deepEqual(frames[2], { ok: true });
    ws.close();
  });
});
