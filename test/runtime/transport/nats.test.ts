import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  MicroError,
  TransportError,
  TransportErrors,
  createClient,
  createMemoryRegistry,
  createTcpTransport,
  type Client,
  type Service,
} from '../../../src/runtime/index.ts';
import { createNatsTransport } from '../../../src/runtime/transport/nats/index.ts';
import type { Pipe, Transport } from '../../../src/runtime/transport/transport.ts';
import { runTransportCases } from '../../conformance/transport.case.ts';
import {
  closeAll,
  counted,
  quietService,
  record,
  sayHello,
  streamHandlers,
} from '../../helpers/fixtures.ts';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.ts';
import { startNode, stopAll } from '../../helpers/proc.ts';

let nats: NatsServer;
before(async () => (nats = await startNatsServer()));
after(async () => {
  await stopAll();
  await nats.stop();
});

runTransportCases('nats', () => createNatsTransport({ address: nats.address }));

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const SUBJECT = /^micro\.node\.[A-Za-z0-9]+$/;

describe('a service served over NATS, called by a tcp client', () => {
  const registry = createMemoryRegistry();
  let service: Service;
  let client: Client;
  before(async () => {
    service = quietService({
      name: 'natsy',
      transport: createNatsTransport({ address: nats.address }),
      registry,
    });
    service.handle('Say', {
      Hello: sayHello(),
      async Taken() {
        throw new MicroError('natsy', 409, 'name taken');
      },
      Count: streamHandlers().Count,
    });
    await service.start();
    process.env.MICRO_TRANSPORT_ADDRESS = nats.address;
    client = createClient({ registry, transport: createTcpTransport() });
  });
  after(async () => {
    delete process.env.MICRO_TRANSPORT_ADDRESS;
    await closeAll(client, service, registry);
  });

  it('registers a subject, not host:port, with transport metadata nats', async () => {
    const [record] = await registry.getService('natsy');
    const node = record?.nodes[0];
    assert.match(service.server.address, SUBJECT);
    assert.equal(node?.address, service.server.address);
    assert.doesNotMatch(node?.address ?? '', /:\d+$/);
    assert.equal(node?.metadata.transport, 'nats');
  });

  it('answers a unary call', async () => {
    const res = await client.call<{ msg: string }>('natsy', 'Say.Hello', { name: 'Ann' });
    assert.deepEqual(res, { msg: 'Hello Ann' });
  });

  it('keeps the code and detail of an error', async () => {
    await assert.rejects(client.call('natsy', 'Say.Taken', {}), (e: MicroError) => {
      assert.equal(e.code, 409);
      assert.equal(e.detail, 'name taken');
      return true;
    });
  });

  it('delivers a server stream of 1,000 messages in order', async () => {
    assert.deepEqual(
      await counted(client, 'natsy', 'Say.Count', 1000),
      Array.from({ length: 1000 }, (_, i) => i),
    );
  });

  it('fails fast with 503 when the registered node is gone', async () => {
    await registry.register(
      record('ghost', {
        version: 'latest',
        node: 'ghost-1',
        address: 'micro.node.gone',
        nodeMetadata: { transport: 'nats' },
      }),
    );
    const started = Date.now();
    await assert.rejects(
      client.call('ghost', 'Say.Hello', {}, { timeout: 5000 }),
      (e: MicroError) => {
        assert.equal(e.code, 503);
        assert.match(e.detail, /micro\.node\.gone/);
        assert.ok(e instanceof TransportError && e.reason === TransportErrors.connect, e.name);
        return true;
      },
    );
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });
});

describe('the NATS transport on its own', () => {
  let transport: Transport;
  before(() => {
    transport = createNatsTransport({ address: nats.address, keepalive: 100 });
  });
  after(() => transport.close());

  /** A `serve` peer and a call to its 'hang' endpoint that it holds, unanswered. */
  async function hangingCall(timeout: number) {
    const node = peer('serve');
    const [, subject] = await node.waitFor(/^subject (\S+)$/);
    const hang = { header: { 'micro-endpoint': 'hang' }, body: Buffer.alloc(0) };
    const call = transport.call(subject ?? '', hang, timeout);
    await node.waitFor(/^hanging$/);
    return { node, call };
  }

  it('answers 503 at once after the listener closed, not a timeout', async () => {
    const listener = await transport.listen('127.0.0.1:0', {
      call: async (req) => ({ header: {}, body: req.body }),
      stream: (_open, pipe) => pipe.end(),
    });
    assert.match(listener.address, SUBJECT);
    const msg = { header: { 'micro-endpoint': 'echo' }, body: Buffer.from('hi') };
    assert.equal(text((await transport.call(listener.address, msg, 2000)).body), 'hi');
    await listener.close();
    const started = Date.now();
    await assert.rejects(transport.call(listener.address, msg, 5000), (e: MicroError) => {
      assert.equal(e.code, 503);
      return true;
    });
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  it('carries UTF-8 and multi-line metadata, and refuses with 400 a header over 64 KiB', async () => {
    const listener = await transport.listen('127.0.0.1:0', {
      call: async (req) => ({ header: { 'x-back': req.header['x-user'] ?? '' }, body: req.body }),
      stream: (_open, pipe) => pipe.end(),
    });
    const call = (user: string) =>
      transport.call(listener.address, { header: { 'x-user': user }, body: Buffer.alloc(0) }, 2000);
    assert.equal((await call('Zoë 🚀')).header['x-back'], 'Zoë 🚀');
    // Headers travel in frames, not as NATS headers: line breaks are carried too.
    assert.equal((await call('two\r\nlines')).header['x-back'], 'two\r\nlines');
    await assert.rejects(call('x'.repeat(70_000)), (e: MicroError) => e.code === 400);
    await listener.close();
  });

  it('ends open streams with 503 when the listener closes', async () => {
    const listener = await transport.listen('127.0.0.1:0', {
      call: async () => ({ header: {}, body: Buffer.alloc(0) }),
      stream: () => undefined, // keeps the stream open
    });
    const pipe = await transport.stream(listener.address, { header: {}, body: Buffer.alloc(0) });
    await listener.close();
    await assert.rejects(
      (async () => {
        for await (const _ of pipe) void _;
      })(),
      // 503 when NATS says no one listens any more, 502 when a ping went unanswered first: either
      // way a retryable error, soon.
      (e: MicroError) => e.code === 503 || e.code === 502,
    );
    await pipe.done;
  });

  it('refuses to open a stream to a subject nobody serves, with 503', async () => {
    await assert.rejects(
      transport.stream('micro.node.nobody', { header: {}, body: Buffer.alloc(0) }),
      (e: MicroError) => e.code === 503,
    );
  });

  it('notices a node process that dies mid-stream (heartbeat)', async () => {
    const node = peer('serve');
    const [, subject] = await node.waitFor(/^subject (\S+)$/);
    const pipe = await transport.stream(subject ?? '', { header: {}, body: Buffer.alloc(0) });
    const it = pipe[Symbol.asyncIterator]();
    assert.equal(text((await it.next()).value as Uint8Array), 'tick');
    await node.stop('SIGKILL');
    const started = Date.now();
    await assert.rejects(
      (async () => {
        for (;;) if ((await it.next()).done) return;
      })(),
      // 503 when NATS says no one listens any more, 502 when a ping went unanswered first: either
      // way a retryable error, soon.
      (e: MicroError) => e.code === 503 || e.code === 502,
    );
    await pipe.done;
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  it('fails a call in flight with a retryable 503 or 502 soon after its node process dies (heartbeat)', async () => {
    const { node, call } = await hangingCall(10_000);
    await node.stop('SIGKILL');
    const started = Date.now();
    await assert.rejects(call, (e: MicroError) => e.code === 503 || e.code === 502);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  it('fails a call with 502 soon when its node stops answering but stays connected (frozen or cut off)', async () => {
    const { node, call } = await hangingCall(20_000);
    // Stopped, the process keeps its connection: nats-server still routes to it, nothing answers.
    process.kill(node.proc.pid ?? 0, 'SIGSTOP');
    const started = Date.now();
    try {
      await assert.rejects(
        call,
        (e: MicroError) =>
          e.code === 502 &&
          /no answer to a ping/.test(e.detail) &&
          e instanceof TransportError &&
          e.reason === TransportErrors.lost,
      );
      assert.ok(
        Date.now() - started < 5000,
        `took ${Date.now() - started} ms, not the 20 s deadline`,
      );
    } finally {
      process.kill(node.proc.pid ?? 0, 'SIGCONT');
      await node.stop('SIGKILL');
    }
  });

  it('fails only the calls to a gone node when calls to two nodes leave together', async () => {
    const listener = await transport.listen('127.0.0.1:0', {
      call: async (req) => ({ header: {}, body: req.body }),
      stream: (_open, pipe) => pipe.end(),
    });
    const msg = (i: number) => ({ header: {}, body: Buffer.from(String(i)) });
    const live = Array.from({ length: 50 }, (_, i) =>
      transport.call(listener.address, msg(i), 2000),
    );
    const dead = Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => transport.call('micro.node.gone2', msg(i), 2000)),
    );
    const replies = await Promise.all(live);
    replies.forEach((r, i) => assert.equal(text(r.body), String(i)));
    for (const r of await dead)
      assert.equal(r.status === 'rejected' && (r.reason as MicroError).code, 503);
    await listener.close();
  });

  it('tells a stream handler when its caller process dies (heartbeat)', async () => {
    let opened!: (p: Pipe) => void;
    const served = new Promise<Pipe>((r) => (opened = r));
    const listener = await transport.listen('127.0.0.1:0', {
      call: async () => ({ header: {}, body: Buffer.alloc(0) }),
      stream: (_open, pipe) => opened(pipe),
    });
    const caller = peer('call', listener.address);
    const pipe = await served;
    await caller.waitFor(/^opened$/);
    await caller.stop('SIGKILL');
    await assert.rejects(
      (async () => {
        for await (const _ of pipe) void _;
      })(),
      (e: MicroError) => e.code === 502,
    );
    await listener.close();
  });
});

/** A second process on the same NATS server that can be killed: `serve` a ticking stream, or `call` one. */
function peer(mode: 'serve' | 'call', subject = '') {
  const lib = fileURLToPath(
    new URL('../../../src/runtime/transport/nats/index.ts', import.meta.url),
  );
  const code = `
    import { createNatsTransport } from ${JSON.stringify(lib)};
    const t = createNatsTransport({ address: ${JSON.stringify(nats.address)}, keepalive: 100 });
    if (${JSON.stringify(mode)} === 'serve') {
      const l = await t.listen('127.0.0.1:0', {
        call: (req) => {
          if (req.header['micro-endpoint'] !== 'hang')
            return Promise.resolve({ header: {}, body: new Uint8Array(0) });
          console.log('hanging');
          return new Promise(() => {});
        },
        stream: (_open, pipe) => {
          pipe.send(Buffer.from('tick'));
          setInterval(() => pipe.send(Buffer.from('tick')), 50);
        },
      });
      console.log('subject ' + l.address);
    } else {
      await t.stream(${JSON.stringify(subject)}, { header: {}, body: new Uint8Array(0) });
      console.log('opened');
    }
    setInterval(() => {}, 1000);
  `;
  return startNode('--input-type=module', ['-e', code]);
}
