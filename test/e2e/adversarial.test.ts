// Replays issue 12's attacks against a fresh `micro run`, `micro sidecar` and a service, each bounded.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client } from '../../src/runtime/index.ts';
import {
  FrameReader,
  Kind,
  PREFACE,
  encodeFrame,
  type Frame,
} from '../../src/runtime/transport/frame.ts';
import { postToRegistry } from '../helpers/control-plane.ts';
import { record } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll, type Child } from '../helpers/proc.ts';
import { isErrorBody, rawExchange, rawRequest } from '../helpers/raw-http.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const micro = `${root}bin/micro.ts`;

/** Resident memory of a process we started, in MB. */
const rssOf = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
};

/** A framed connection: frames sent as they are given, frames received collected. */
async function framed(
  port: number,
): Promise<{ socket: Socket; frames: Frame[]; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const frames: Frame[] = [];
  const reader = new FrameReader((f) => frames.push(f));
  socket.on('data', (c: Buffer) => {
    try {
      reader.push(c);
    } catch {
      socket.destroy();
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(PREFACE);
  return { socket, frames, closed };
}

/** Runs fn while calling Debug.Health on the control plane back to back; the slowest answer in ms. */
async function slowestHealthDuring(
  client: Client,
  address: string,
  fn: () => Promise<void>,
): Promise<number> {
  let stop = false;
  let slowest = 0;
  const probe = (async () => {
    for (let i = 0; i < 10_000 && !stop; i++) {
      const t = performance.now();
      await client.call('registry', 'Debug.Health', {}, { address, timeout: 30_000 });
      slowest = Math.max(slowest, performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await fn();
  } finally {
    stop = true;
    await probe;
  }
  return slowest;
}

const port = (address: string): number => Number(address.split(':').at(-1));

describe('attacks from issue 12 against micro run, micro sidecar and a service', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-attack-'));
  const dataDir = join(work, 'data');
  let env: Record<string, string>;
  let plane: Child;
  let sidecar: Child;
  let greeter: Child;
  let control = '';
  let api = '';
  let web = '';
  let side = '';
  let client: Client;
  let registry: ReturnType<typeof createMicroRegistry>;
  // Slowloris connections opened first and checked last: the ports must close them by themselves.
  const lingering: Promise<string>[] = [];

  before(async () => {
    [control, api, web, side] = (await Promise.all(
      [0, 1, 2, 3].map(async () => `127.0.0.1:${await freePort()}`),
    )) as [string, string, string, string];
    env = {
      MICRO_DATA_DIR: dataDir,
      MICRO_REGISTRY_ADDRESS: control,
      MICRO_API_ADDRESS: api,
      MICRO_WEB_ADDRESS: web,
      MICRO_SIDECAR_ADDRESS: side,
    };
    plane = startNode(micro, ['run'], env, { cwd: work });
    await plane.waitFor(/web\s+127/, 30_000);
    sidecar = startNode(micro, ['sidecar'], env, { cwd: work });
    greeter = startNode(`${root}examples/greeter/service.ts`, [], env);
    await Promise.all([
      sidecar.waitFor(new RegExp(side.replaceAll('.', '\\.')), 30_000),
      greeter.waitFor(/listening on/, 30_000),
    ]);
    registry = createMicroRegistry({ address: control });
    client = createClient({ registry });
    assert.deepEqual(await client.call('greeter', 'Say.Hello', { name: 'Ann' }), {
      msg: 'Hello Ann',
    });
    // Half a frame, and half an HTTP request's headers, held open (point 3).
    for (const p of [port(control), port(api), port(side), port(web)]) {
      const s = connect(p, '127.0.0.1');
      s.on('error', () => {});
      s.resume(); // read the answer and the close as they come
      s.write(
        p === port(control)
          ? Buffer.concat([PREFACE, Buffer.from([0, 0, 1])])
          : 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ',
      );
      const opened = Date.now();
      lingering.push(
        new Promise((resolve) =>
          s.once('close', () => resolve(`${p} closed after ${Date.now() - opened} ms`)),
        ),
      );
    }
  });

  after(async () => {
    await client?.close();
    await registry?.close();
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('1. reused stream ids: orphaned Registry.Watch handlers no longer pile up', async () => {
    const conn = await framed(port(control));
    const open = {
      'micro-service': 'registry',
      'micro-endpoint': 'Registry.Watch',
      'content-type': 'application/json',
    };
    for (let i = 0; i < 200; i++) {
      conn.socket.write(encodeFrame(Kind.open, 1, open));
      conn.socket.write(encodeFrame(Kind.data, 1, undefined, Buffer.from('{}')));
    }
    await new Promise((r) => setTimeout(r, 200)); // let the server read them all before closing
    const refused = conn.frames.filter((f) => f.kind === Kind.error && f.id === 1).length;
    assert.ok(refused >= 1, 'a reused id is refused with an error frame');
    conn.socket.destroy();
    await conn.closed;
    const before = rssOf(plane.proc.pid as number);
    const churn = (i: number) =>
      record('churn', {
        version: '1',
        node: `churn-${i}`,
        address: '127.0.0.1:1',
        nodeMetadata: { pad: 'x'.repeat(2000) },
      });
    for (let i = 0; i < 100; i++) {
      await registry.register(churn(i), { ttl: 60_000 });
      await registry.deregister(churn(i));
    }
    const grown = rssOf(plane.proc.pid as number) - before;
    assert.ok(
      grown < 40,
      `control plane RSS grew ${grown.toFixed(1)} MB over 100 changes (was ~98 MB)`,
    );
  });

  it('2. unbounded buffering: header floods and partial giant frames are refused, memory stays bounded', async () => {
    const pid = plane.proc.pid as number;
    const start = rssOf(pid);
    const flood = await framed(port(control));
    const header: Record<string, string> = {
      'micro-service': 'registry',
      'micro-endpoint': 'Debug.Health',
    };
    for (let i = 0; i < 8000; i++) header[i.toString(36)] = ''; // 8,000 pairs in a 48 KB header block
    const frame = encodeFrame(Kind.request, 7, header);
    for (let i = 0; i < 500 && !flood.socket.destroyed; i++) flood.socket.write(frame);
    const partial = await Promise.all([0, 1, 2, 3, 4].map(() => framed(port(control))));
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (const c of partial) {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(60 * 1024 * 1024);
      c.socket.write(head);
      for (let i = 0; i < 20; i++) c.socket.write(chunk);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const peak = rssOf(pid) - start;
    flood.socket.destroy();
    for (const c of partial) c.socket.destroy();
    // Discarded bytes are garbage until the next GC, so some growth is expected; holding them all
    // (the old code) took 286 MB and more.
    assert.ok(
      peak < 200,
      `RSS grew ${peak.toFixed(0)} MB under the floods (was 186 MB and 316 MB)`,
    );
    const err = flood.frames.find((f) => f.kind === Kind.error);
    if (err) {
      const e = JSON.parse(err.body.toString('utf8')) as { code: number; detail: string };
      assert.ok(e.code >= 400 && e.code < 500, `header flood answered ${e.code}`);
      assert.doesNotMatch(e.detail, /RangeError|ERR_/);
    }
    assert.deepEqual(await client.call('greeter', 'Say.Hello', { name: 'Bo' }), {
      msg: 'Hello Bo',
    });
  });

  it('4. a 60,000-field form to /rpc is refused at once and blocks nobody', async () => {
    const form = Array.from({ length: 60_000 }, (_, i) => `k${i}=v`).join('&');
    let status = 0;
    const slowest = await slowestHealthDuring(client, control, async () => {
      const res = await fetch(`http://${api}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      status = res.status;
      assert.ok(isErrorBody(await res.text(), status));
    });
    assert.ok(status >= 400 && status < 500, `answered ${status}`);
    assert.ok(
      slowest < 1000,
      `the control plane answered within ${slowest.toFixed(0)} ms during the attack (was 20 s)`,
    );
  });

  it('5. a route built to backtrack matches in linear time', async () => {
    const evil = record('evil', {
      version: '1',
      endpoints: [{ name: 'E.E', metadata: { path: '/{a...}/{b...}/{c...}/{d...}/z' } }],
      node: 'evil-1',
      address: '127.0.0.1:1',
    });
    await registry.register(evil, { ttl: 60_000 }).catch(() => undefined); // refused is fine too
    try {
      const slowest = await slowestHealthDuring(client, control, async () => {
        const res = await fetch(`http://${api}/${'a/'.repeat(500)}`);
        assert.ok(res.status >= 400 && res.status < 600);
        await res.text();
      });
      assert.ok(
        slowest < 1000,
        `control plane answered within ${slowest.toFixed(0)} ms (was 25 s)`,
      );
    } finally {
      await registry.deregister(evil).catch(() => undefined);
    }
  });

  it('6. records that break the rules are refused with a 400 naming the field', async () => {
    const bad = [
      [
        {
          name: 'm',
          nodes: [{ id: 'm1', address: '127.0.0.1:1' }],
          endpoints: [{ name: 'E', metadata: { path: 5, method: 7 } }],
        },
        /path/,
      ],
      [{ name: '\u001b[2Jx', nodes: [{ id: 'x1', address: '127.0.0.1:1' }] }, /name/],
      [
        {
          name: 'big',
          nodes: [
            { id: 'b1', address: '127.0.0.1:1', metadata: { x: 'y'.repeat(2 * 1024 * 1024) } },
          ],
        },
        /./,
      ],
    ] as const;
    for (const [service, field] of bad) {
      const res = await postToRegistry(
        control,
        'Registry.Register',
        JSON.stringify({ service, ttl: 60_000 }),
      );
      const text = await res.text();
      assert.ok(
        res.status === 400 || res.status === 413,
        `answered ${res.status}: ${text.slice(0, 200)}`,
      );
      assert.ok(isErrorBody(text, res.status));
      assert.match((JSON.parse(text) as { detail: string }).detail, field);
    }
    const ttl0 = await postToRegistry(
      control,
      'Registry.Register',
      JSON.stringify({
        service: record('forever', { node: 'f1', address: '127.0.0.1:1' }),
        ttl: 0,
      }),
    );
    assert.equal(ttl0.status, 400, 'TTL 0 (never expires) is refused');
  });

  it('7. the sidecar: a cross-site form cannot start a process, and the control plane is not exposed', async () => {
    const marker = join(work, 'pwned');
    const script = join(work, 'evil.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x');\n`,
    );
    const attempt = (headers: Record<string, string>) =>
      fetch(`http://${side}/v1.0/invoke/runtime/method/Runtime.Create`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: JSON.stringify({ name: 'evil', path: script }),
      });
    const crossSite = await attempt({ origin: 'http://evil.example' });
    assert.equal(crossSite.status, 403);
    assert.ok(isErrorBody(await crossSite.text(), 403));
    const sameMachine = await attempt({});
    assert.ok(
      sameMachine.status === 403 || sameMachine.status === 404,
      `runtime through the sidecar: ${sameMachine.status}`,
    );
    await sameMachine.text();
    const list = await client
      .call<{ services?: unknown[] }>('runtime', 'Runtime.List', {}, { address: control })
      .catch(() => ({ services: [] }));
    assert.equal(JSON.stringify(list).includes('evil'), false, 'no service named evil was started');
    assert.equal(existsSync(marker), false);
  });

  it('8. the dashboard serves no DNS name that merely starts with 127.', async () => {
    const res = await rawExchange(
      port(web),
      [
        rawRequest(port(web), {
          method: 'GET',
          path: '/_/api/services',
          headers: { host: `127.attacker.example:${port(web)}` },
        }),
      ],
      { untilResponse: true },
    );
    assert.equal(res.status, 421);
  });

  it('9. micro logs ../../secret reads nothing outside the data directory', async () => {
    writeFileSync(join(work, 'secret'), 'TOP-SECRET');
    const out = await new Promise<{ code: number; text: string }>((resolve) =>
      execFile(
        process.execPath,
        [micro, 'logs', '../../secret'],
        { env: { ...process.env, ...env }, timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({ code: (err as { code?: number } | null)?.code ?? 0, text: stdout + stderr }),
      ),
    );
    assert.notEqual(out.code, 0);
    assert.doesNotMatch(out.text, /TOP-SECRET/);
    assert.match(out.text, /"code":400/);
  });

  it('10. Micro-Timeout past 2^31-1 ms is a long deadline, not an instant 408', async () => {
    for (const base of [side, api]) {
      const res = await fetch(`http://${base}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'micro-timeout': '2147483648' },
        body: JSON.stringify({
          service: 'greeter',
          endpoint: 'Say.Hello',
          request: { name: 'Cy' },
        }),
      });
      assert.equal(res.status, 200, `${base}: ${await res.clone().text()}`);
      assert.deepEqual(await res.json(), { msg: 'Hello Cy' });
    }
    const direct = await fetch(
      `http://${greeter.lines.join('\n').match(/listening on (\S+)/)?.[1] ?? ''}/`,
      {
        method: 'POST',
        headers: {
          'micro-service': 'greeter',
          'micro-endpoint': 'Say.Hello',
          'micro-timeout': '2147483648',
          'content-type': 'application/json',
        },
        body: '{"name":"Di"}',
      },
    );
    assert.equal(direct.status, 200);
    await direct.text();
  });

  it('11. client mistakes are 4xx in the error shape, never 500', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const base of [api, side]) {
      for (const body of [
        'null',
        '[]',
        deep,
        '{"service":5}',
        '{"service":"greeter","endpoint":"Say.Hello","request":' + deep + '}',
      ]) {
        const res = await fetch(`http://${base}/rpc`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const text = await res.text();
        assert.ok(
          res.status >= 400 && res.status < 500,
          `${base} /rpc ${body.slice(0, 30)}: ${res.status} ${text.slice(0, 120)}`,
        );
        assert.ok(isErrorBody(text, res.status), text.slice(0, 200));
      }
    }
    const ws = await rawExchange(
      port(api),
      [
        rawRequest(port(api), {
          method: 'GET',
          path: '/greeter/say/hello',
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '99',
            'sec-websocket-key': 'bad',
          },
        }),
      ],
      { untilResponse: true },
    );
    assert.ok(
      ws.status >= 400 && ws.status < 500 && isErrorBody(ws.body, ws.status),
      `refused upgrade: ${ws.status} ${ws.body}`,
    );
  });

  it('3. connections holding half a frame or half the headers are closed by the server', async () => {
    const open = new Set(lingering.map((_, i) => i));
    lingering.forEach((p, i) => void p.then(() => open.delete(i)));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      Promise.all(lingering).then((closed) => closed.join('; ')),
      new Promise<string>((r) => (timer = setTimeout(() => r('open'), 45_000))),
    ]);
    clearTimeout(timer);
    assert.notEqual(
      outcome,
      'open',
      `connections ${[...open].join(', ')} (control, api, sidecar, web) were left open`,
    );
    assert.deepEqual(await client.call('greeter', 'Say.Hello', { name: 'Ed' }), {
      msg: 'Hello Ed',
    });
    assert.equal(plane.proc.exitCode, null, 'micro run is still up');
    assert.equal(sidecar.proc.exitCode, null, 'the sidecar is still up');
    assert.equal(greeter.proc.exitCode, null, 'the service is still up');
  });
});
