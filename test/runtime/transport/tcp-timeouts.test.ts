import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Kind } from '../../../src/runtime/transport/frame.ts';
import { createTcpTransport } from '../../../src/runtime/transport/index.ts';
import type {
  ListenOptions,
  Listener,
  Pipe,
  TransportHandler,
} from '../../../src/runtime/transport/transport.ts';
import { RawPeer } from './raw-framed.ts';

const handler: TransportHandler = {
  call: () => Promise.resolve({ header: {}, body: Buffer.from('"ok"') }),
  stream: (_open, pipe: Pipe) => {
    void (async () => {
      try {
        for await (const m of pipe) pipe.send(m);
        pipe.end();
      } catch {
        // the connection closed
      }
    })();
  },
};

/** Waits ms: only where the test asserts that nothing happens for a while. */
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tcp transport: timeouts and connections per peer', () => {
  const closers: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });
  const listen = async (limits: ListenOptions['limits']): Promise<Listener> => {
    const l = await createTcpTransport().listen('127.0.0.1:0', handler, { limits });
    closers.push(() => l.close());
    return l;
  };
  const open = async (l: Listener, preface = true): Promise<RawPeer> => {
    const p = await RawPeer.open(l.address, preface);
    closers.push(() => p.close());
    return p;
  };

  it('closes a connection that sends no preface in time', { timeout: 10_000 }, async () => {
    const l = await listen({ prefaceTimeout: 300 });
    const silent = await open(l, false);
    const half = await open(l, false);
    half.write(Buffer.from([0x00, 0x4d])); // the first two bytes of the preface, then nothing
    const started = Date.now();
    await Promise.all([silent.whenClosed(), half.whenClosed()]);
    assert.ok(Date.now() - started < 5000);
  });

  it(
    'closes a connection holding half a frame past the frame timeout, with a 408',
    { timeout: 10_000 },
    async () => {
      const peer = await open(await listen({ frameTimeout: 300 }));
      await peer.call(1, 'echo'); // a whole frame first: the timer is per frame, not per connection
      peer.write(Buffer.from([0, 0, 0, 100, 1, 0, 0, 0, 2, 0, 0, 1, 2, 3]));
      const err = await peer.error(0);
      assert.equal(err.code, 408);
      assert.match(err.detail, /frame .* 300 ms/);
      await peer.whenClosed();
    },
  );

  it(
    'keeps a connection that sends a slow but steady stream of whole frames',
    { timeout: 10_000 },
    async () => {
      const peer = await open(await listen({ frameTimeout: 300 }));
      for (let id = 1; id <= 6; id++) {
        await peer.call(id, 'echo');
        await quiet(100);
      }
      assert.equal(peer.closed, false);
    },
  );

  it('closes an idle connection, but not one with a stream open', { timeout: 10_000 }, async () => {
    const l = await listen({ idleTimeout: 300 });
    const idle = await open(l);
    const watching = await open(l);
    watching.frame(Kind.open, 1, { 'micro-endpoint': 'watch' });
    await idle.whenClosed();
    await quiet(900);
    assert.equal(watching.closed, false, 'a connection with an open stream is not idle');
    watching.frame(Kind.data, 1, undefined, Buffer.from('"still there"'));
    const echo = await watching.next((f) => f.kind === Kind.data && f.id === 1);
    assert.equal(echo.body.toString(), '"still there"');
  });

  it(
    'lets a client call again after the server closed its idle connection',
    { timeout: 10_000 },
    async () => {
      const l = await listen({ idleTimeout: 200 });
      const client = createTcpTransport();
      closers.push(() => client.close());
      const request = { header: { 'micro-endpoint': 'echo' }, body: Buffer.from('{}') };
      for (let i = 0; i < 3; i++) {
        const r = await client.call(l.address, request, 5000);
        assert.equal(Buffer.from(r.body).toString(), '"ok"');
        await quiet(600); // past the idle timeout: the server has closed the connection
      }
    },
  );

  it('caps the connections one peer address holds open', { timeout: 10_000 }, async () => {
    const l = await listen({ maxConnectionsPerPeer: 3 });
    const peers = [await open(l), await open(l), await open(l)];
    const extra = await open(l);
    await extra.whenClosed();
    for (const [i, p] of peers.entries()) {
      p.request(1, 'echo');
      await p.next((f) => f.kind === Kind.reply, `a reply on connection ${i}`);
    }
    peers[0]?.close();
    await peers[0]?.whenClosed();
    // The server sees the close a moment later; a new connection then gets in.
    let again: RawPeer | undefined;
    for (let i = 0; i < 50; i++) {
      again = await open(l);
      again.request(1, 'echo');
      const ok = await again
        .next((f) => f.kind === Kind.reply)
        .then(
          () => true,
          () => false,
        );
      if (ok) break;
      await quiet(20);
    }
    assert.equal(again?.closed, false);
  });
});
