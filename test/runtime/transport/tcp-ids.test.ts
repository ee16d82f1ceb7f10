import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Kind } from '../../../src/runtime/transport/frame.ts';
import { createTcpTransport } from '../../../src/runtime/transport/index.ts';
import type {
  Listener,
  Pipe,
  Reply,
  TransportHandler,
} from '../../../src/runtime/transport/transport.ts';
import { RawPeer } from './raw-framed.ts';

/** Handlers that run until their caller goes, as a registry watch does; the test sees them. */
function watchers() {
  const pipes: Pipe[] = [];
  const cancelled: number[] = [];
  const handler: TransportHandler = {
    call: (req, info) =>
      new Promise<Reply>((resolve) => {
        if (req.header['micro-endpoint'] === 'echo') {
          resolve({ header: {}, body: Buffer.from('"ok"') });
          return;
        }
        info.onCancel = () => {
          cancelled.push(1);
          resolve({ header: {}, body: Buffer.alloc(0) });
        };
      }),
    stream: (_open, pipe) => {
      pipes.push(pipe);
      let ended = false;
      void pipe.done.then(() => (ended = true));
      // A watch: sends an event now and then until its stream ends.
      const tick = setInterval(() => {
        if (ended) {
          clearInterval(tick);
          return;
        }
        pipe.send(Buffer.from('"event"'));
      }, 20);
      tick.unref();
      void (async () => {
        try {
          for await (const _ of pipe) void _;
        } catch {
          // failed: the connection went
        }
      })();
    },
  };
  return { handler, pipes, cancelled };
}

describe('tcp transport: ids reused on one connection', () => {
  const closers: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });
  const listen = async (handler: TransportHandler): Promise<Listener> => {
    const l = await createTcpTransport().listen('127.0.0.1:0', handler);
    closers.push(() => l.close());
    return l;
  };
  /** A listener serving fresh watchers, and a raw peer connected to it. */
  const start = async (): Promise<{ w: ReturnType<typeof watchers>; peer: RawPeer }> => {
    const w = watchers();
    const l = await listen(w.handler);
    const peer = await RawPeer.open(l.address);
    closers.push(() => peer.close());
    return { w, peer };
  };
  /** The peer gets a 400 for id, saying the id is already in use. */
  const refusedAsInUse = async (peer: RawPeer, id: number): Promise<void> => {
    const err = await peer.error(id);
    assert.equal(err.code, 400);
    assert.match(err.detail, new RegExp(`id ${id} .*already in use`));
  };

  it(
    'refuses a stream opened twice with one id, and both handlers end when the connection closes',
    { timeout: 10_000 },
    async () => {
      const { w, peer } = await start();
      const open = { 'micro-endpoint': 'Registry.Watch' };
      peer.frame(Kind.open, 5, open);
      peer.frame(Kind.open, 5, open);
      await refusedAsInUse(peer, 5);
      peer.close();
      // Before the fix the first watch was orphaned: its done never settled and it sent for ever.
      await Promise.all(w.pipes.map((p) => p.done));
      assert.ok(w.pipes.length >= 1 && w.pipes.length <= 2);
    },
  );

  it(
    'refuses a request whose id is in flight, and cancels the first',
    { timeout: 10_000 },
    async () => {
      const { peer } = await start();
      peer.request(9, 'Slow.Hang');
      peer.request(9, 'Slow.Hang');
      await refusedAsInUse(peer, 9);
      // The connection still serves.
      assert.equal((await peer.call(10, 'echo')).body.toString(), '"ok"');
      peer.close();
      await peer.whenClosed();
    },
  );

  it('refuses a request that takes the id of an open stream', { timeout: 10_000 }, async () => {
    const { w, peer } = await start();
    peer.frame(Kind.open, 3, { 'micro-endpoint': 'Registry.Watch' });
    peer.request(3, 'echo');
    await refusedAsInUse(peer, 3);
    peer.close();
    await Promise.all(w.pipes.map((p) => p.done));
  });

  it('releases every call and stream of a closed connection', { timeout: 10_000 }, async () => {
    const { w, peer } = await start();
    for (let id = 1; id <= 20; id++)
      peer.frame(Kind.open, id, { 'micro-endpoint': 'Registry.Watch' });
    for (let id = 21; id <= 40; id++) peer.request(id, 'Slow.Hang');
    await peer.call(41, 'echo');
    peer.close();
    await Promise.all(w.pipes.map((p) => p.done));
    assert.equal(w.pipes.length, 20);
    for (let i = 0; i < 1000 && w.cancelled.length < 20; i++)
      await new Promise((r) => setTimeout(r, 5));
    assert.equal(w.cancelled.length, 20);
  });
});
