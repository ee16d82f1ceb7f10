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

  it(
    'refuses a stream opened twice with one id, and both handlers end when the connection closes',
    { timeout: 10_000 },
    async () => {
      const w = watchers();
      const l = await listen(w.handler);
      const peer = await RawPeer.open(l.address);
      closers.push(() => peer.close());
      const open = { 'micro-endpoint': 'Registry.Watch' };
      peer.frame(Kind.open, 5, open);
      peer.frame(Kind.open, 5, open);
      const err = await peer.error(5);
      assert.equal(err.code, 400);
      assert.match(err.detail, /id 5 .*already in use/);
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
      const w = watchers();
      const l = await listen(w.handler);
      const peer = await RawPeer.open(l.address);
      closers.push(() => peer.close());
      peer.request(9, 'Slow.Hang');
      peer.request(9, 'Slow.Hang');
      const err = await peer.error(9);
      assert.equal(err.code, 400);
      assert.match(err.detail, /id 9 .*already in use/);
      // The connection still serves.
      peer.request(10, 'echo');
      const r = await peer.next((f) => f.kind === Kind.reply && f.id === 10);
      assert.equal(r.body.toString(), '"ok"');
      peer.close();
      await peer.whenClosed();
    },
  );

  it('refuses a request that takes the id of an open stream', { timeout: 10_000 }, async () => {
    const w = watchers();
    const l = await listen(w.handler);
    const peer = await RawPeer.open(l.address);
    closers.push(() => peer.close());
    peer.frame(Kind.open, 3, { 'micro-endpoint': 'Registry.Watch' });
    peer.request(3, 'echo');
    const err = await peer.error(3);
    assert.equal(err.code, 400);
    peer.close();
    await Promise.all(w.pipes.map((p) => p.done));
  });

  it('releases every call and stream of a closed connection', { timeout: 10_000 }, async () => {
    const w = watchers();
    const l = await listen(w.handler);
    const peer = await RawPeer.open(l.address);
    for (let id = 1; id <= 20; id++)
      peer.frame(Kind.open, id, { 'micro-endpoint': 'Registry.Watch' });
    for (let id = 21; id <= 40; id++) peer.request(id, 'Slow.Hang');
    peer.request(41, 'echo');
    await peer.next((f) => f.kind === Kind.reply && f.id === 41);
    peer.close();
    await Promise.all(w.pipes.map((p) => p.done));
    assert.equal(w.pipes.length, 20);
    for (let i = 0; i < 1000 && w.cancelled.length < 20; i++)
      await new Promise((r) => setTimeout(r, 5));
    assert.equal(w.cancelled.length, 20);
  });
});
