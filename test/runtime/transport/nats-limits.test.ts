import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection, type Subscription } from 'nats';
import {
  FrameReader,
  Kind,
  encodeFrame,
  type Frame,
} from '../../../src/runtime/transport/frame.ts';
import { createNatsTransport } from '../../../src/runtime/transport/nats/index.ts';
import type {
  ListenOptions,
  Listener,
  Pipe,
  Transport,
  TransportHandler,
} from '../../../src/runtime/transport/transport.ts';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.ts';
import type { ErrorBody } from './raw-framed.ts';

let nats: NatsServer;
before(async () => (nats = await startNatsServer()));
after(async () => nats.stop());

/** A caller that speaks the protocol by hand over NATS: its own inbox, raw frames to the node. */
class RawCaller {
  readonly frames: Frame[] = [];
  readonly #nc: NatsConnection;
  readonly #sub: Subscription;
  readonly #inbox: string;
  readonly #node: string;
  #n = 0;
  #waiters: (() => void)[] = [];

  constructor(nc: NatsConnection, node: string) {
    this.#nc = nc;
    this.#node = node;
    this.#inbox = `_INBOX.raw${Math.random().toString(36).slice(2)}`;
    const reader = new FrameReader((f) => {
      this.frames.push({ ...f, body: Buffer.from(f.body) });
      for (const w of this.#waiters.splice(0)) w();
    });
    this.#sub = nc.subscribe(`${this.#inbox}.*`, {
      callback: (_err, msg) => {
        if (msg.data.length > 0) reader.push(Buffer.from(msg.data));
      },
    });
  }

  /** Publishes bytes to the node as one message. */
  send(bytes: Uint8Array): void {
    this.#nc.publish(this.#node, bytes, { reply: `${this.#inbox}.${++this.#n}` });
  }

  async error(id: number): Promise<ErrorBody> {
    for (let i = 0; i < 1000; i++) {
      const f = this.frames.find((x) => x.kind === Kind.error && x.id === id);
      if (f) return JSON.parse(f.body.toString('utf8')) as ErrorBody;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    throw new Error(`no error for ${id}`);
  }

  /** Goes away as a caller process that died: its inbox has no subscriber any more. */
  leave(): void {
    this.#sub.unsubscribe();
  }
}

describe('nats transport: a node against callers that misbehave', () => {
  let transport: Transport;
  let nc: NatsConnection;
  const listeners: Listener[] = [];
  before(async () => {
    transport = createNatsTransport({ address: nats.address });
    nc = await connect({ servers: nats.address });
  });
  after(async () => {
    for (const l of listeners) await l.close();
    await transport.close();
    await nc.close();
  });
  const pipes: Pipe[] = [];
  const handler: TransportHandler = {
    call: () => Promise.resolve({ header: {}, body: Buffer.from('"ok"') }),
    stream: (_open, pipe) => {
      pipes.push(pipe);
      // A watch: an event now and then until its stream ends.
      const tick = setInterval(() => pipe.send(Buffer.from('"event"')), 20);
      tick.unref();
      void pipe.done.then(() => clearInterval(tick));
    },
  };
  const listen = async (options: ListenOptions = {}): Promise<Listener> => {
    const l = await transport.listen('', handler, options);
    listeners.push(l);
    return l;
  };

  it(
    'refuses a stream id used twice, and both handlers end when the caller goes',
    { timeout: 15_000 },
    async () => {
      pipes.length = 0;
      const l = await listen();
      const caller = new RawCaller(nc, l.address);
      const open = encodeFrame(Kind.open, 4, { 'micro-endpoint': 'Registry.Watch' });
      caller.send(Buffer.concat([open, open]));
      const err = await caller.error(4);
      assert.equal(err.code, 400);
      assert.match(err.detail, /id 4 .*already in use/);
      caller.leave();
      await Promise.all(pipes.map((p) => p.done));
    },
  );

  it(
    'refuses a frame over the size limit with 413, without holding what it claims',
    { timeout: 15_000 },
    async () => {
      const l = await listen({ limits: { maxFrameBytes: 1024 * 1024 } });
      const caller = new RawCaller(nc, l.address);
      // The head of a 60 MiB request, then nothing: the node must not set 60 MiB aside for it.
      const head = Buffer.alloc(64);
      head.writeUInt32BE(60 * 1024 * 1024, 0);
      head[4] = Kind.request;
      head.writeUInt32BE(9, 5);
      caller.send(head);
      const err = await caller.error(9);
      assert.equal(err.code, 413);
      assert.match(err.detail, /over the limit of 1048576 bytes/);
    },
  );

  it('answers too many header pairs with 431', { timeout: 15_000 }, async () => {
    const l = await listen({ limits: { maxHeaderPairs: 8 } });
    const caller = new RawCaller(nc, l.address);
    const header: Record<string, string> = { 'micro-endpoint': 'x' };
    for (let i = 0; i < 20; i++) header[`h${i}`] = 'v';
    caller.send(encodeFrame(Kind.request, 3, header, Buffer.from('{}')));
    const err = await caller.error(3);
    assert.equal(err.code, 431);
  });

  it('refuses calls past the limit per caller with 429', { timeout: 15_000 }, async () => {
    const l = await listen({ limits: { maxStreams: 1 } });
    const caller = new RawCaller(nc, l.address);
    const open = (id: number) => encodeFrame(Kind.open, id, { 'micro-endpoint': 'w' });
    caller.send(Buffer.concat([open(1), open(2)]));
    const err = await caller.error(2);
    assert.equal(err.code, 429);
    caller.leave();
  });
});
