import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Kind } from '../../../src/runtime/transport/frame.ts';
import { createTcpTransport } from '../../../src/runtime/transport/index.ts';
import type {
  ListenOptions,
  Listener,
  Message,
  Pipe,
  Reply,
  TransportHandler,
} from '../../../src/runtime/transport/transport.ts';
import { RawPeer, type ErrorBody } from './raw-framed.ts';

const BIG = Buffer.alloc(64 * 1024, 'x');

/** Counts what reached the handlers, which answer by endpoint. */
function handler() {
  const seen = { calls: 0, sent: 0, pipes: [] as Pipe[] };
  const h: TransportHandler = {
    call(req: Message, info): Promise<Reply> {
      seen.calls++;
      const ep = req.header['micro-endpoint'];
      if (ep === 'big') return Promise.resolve({ header: {}, body: BIG });
      if (ep === 'hang')
        return new Promise((resolve) => {
          info.onCancel = () => resolve({ header: {}, body: Buffer.alloc(0) });
        });
      return Promise.resolve({ header: {}, body: Buffer.from('"ok"') });
    },
    stream(open: Message, pipe: Pipe): void {
      seen.pipes.push(pipe);
      const ep = open.header['micro-endpoint'];
      if (ep === 'flood') {
        // Sends 64 KiB messages until the stream ends (or 1,000 of them: 64 MiB), yielding between.
        let finished = false;
        void pipe.done.then(() => (finished = true));
        void (async () => {
          for (let i = 0; i < 1000 && !finished; i++) {
            pipe.send(BIG);
            seen.sent++;
            await new Promise((r) => setImmediate(r));
          }
        })();
      }
      // 'deaf' and 'hold': never read.
    },
  };
  return { h, seen };
}

/** The error frame expected for a request or stream: its id, code and what its detail says. */
interface Refused {
  id: number;
  code: number;
  detail: RegExp;
}

describe('tcp transport: limits per frame and per connection', () => {
  const closers: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });
  const listen = async (h: TransportHandler, options: ListenOptions = {}): Promise<Listener> => {
    const l = await createTcpTransport().listen('127.0.0.1:0', h, options);
    closers.push(() => l.close());
    return l;
  };
  const open = async (l: Listener): Promise<RawPeer> => {
    const p = await RawPeer.open(l.address);
    closers.push(() => p.close());
    return p;
  };
  /** A listener with these options over the counting handler, and a raw peer connected to it. */
  const serve = async (
    options: ListenOptions = {},
  ): Promise<{ peer: RawPeer; seen: ReturnType<typeof handler>['seen'] }> => {
    const { h, seen } = handler();
    return { peer: await open(await listen(h, options)), seen };
  };
  /** The error frame for `id` has this code and a detail matching `detail`. */
  const refused = async (peer: RawPeer, expected: Refused): Promise<ErrorBody> => {
    const err = await peer.error(expected.id);
    assert.equal(err.code, expected.code);
    assert.match(err.detail, expected.detail);
    return err;
  };
  const stillServes = async (peer: RawPeer, id: number): Promise<void> => {
    assert.equal((await peer.call(id, 'echo')).body.toString(), '"ok"');
  };
  const noNodeText = (e: ErrorBody): void => {
    assert.doesNotMatch(e.detail, /RangeError|ERR_|out of range|Received|offset/);
    assert.deepEqual(Object.keys(e).sort(), ['code', 'detail', 'id', 'status']);
  };

  /** A limit a peer goes past and the refusal it gets; the connection serves on after it. */
  interface Refusal extends Refused {
    test: string;
    limits: ListenOptions['limits'];
    timeout?: number;
    /** What the peer sends to go past the limit. */
    send(peer: RawPeer): void;
    /** What else holds once refused, before the connection is used again. */
    then?(peer: RawPeer, seen: ReturnType<typeof handler>['seen']): Promise<void> | void;
  }
  const refusals: Refusal[] = [
    {
      test: 'answers a request with too many header pairs with 431',
      // The block's bytes within their limit, so that the pairs are what is over.
      limits: { maxHeaderBytes: 65_535 },
      send(peer) {
        const header: Record<string, string> = {};
        for (let i = 0; i < 8000; i++) header[`h${i}`] = '';
        peer.request(1, 'echo', '{}', header);
      },
      id: 1,
      code: 431,
      detail: /8001 header pairs.*limit of 256/,
      then: (_peer, seen) => assert.equal(seen.calls, 0, 'the handler never saw it'),
    },
    {
      test: 'answers a header block over the byte limit with 431',
      limits: { maxHeaderBytes: 1024 },
      send: (peer) => peer.request(1, 'echo', '{}', { 'x-big': 'v'.repeat(2000) }),
      id: 1,
      code: 431,
      detail: /header block of \d+ bytes.*1024/,
    },
    {
      test: 'skips a frame over the size limit and answers it 413',
      limits: { maxFrameBytes: 1024 * 1024 },
      send: (peer) => peer.request(1, 'echo', 'x'.repeat(2 * 1024 * 1024)),
      id: 1,
      code: 413,
      detail: /frame of \d+ bytes.*limit of 1048576/,
      then: (_peer, seen) => assert.equal(seen.calls, 0),
    },
    {
      test: 'refuses a frame over the 16 MiB default',
      limits: {},
      timeout: 20_000,
      send: (peer) => peer.request(1, 'echo', 'x'.repeat(17 * 1024 * 1024)),
      id: 1,
      code: 413,
      detail: /frame of \d+ bytes.*limit of 16777216/,
    },
    {
      test: 'refuses calls and streams past the per-connection limits with 429',
      limits: { maxCalls: 2, maxStreams: 2 },
      send(peer) {
        for (const id of [1, 2, 3]) peer.request(id, 'hang');
      },
      id: 3,
      code: 429,
      detail: /2 calls in flight/,
      async then(peer) {
        for (const id of [11, 12, 13]) peer.frame(Kind.open, id, { 'micro-endpoint': 'hold' });
        await refused(peer, { id: 13, code: 429, detail: /2 streams open/ });
        peer.frame(Kind.cancel, 1);
      },
    },
    {
      test: 'refuses calls once those in flight hold the connection buffer, with 429',
      limits: { maxConnectionBuffer: 256 * 1024 },
      send(peer) {
        const body = 'x'.repeat(64 * 1024);
        for (let id = 1; id <= 6; id++) peer.request(id, 'hang', body);
      },
      id: 4,
      code: 429,
      detail: /calls in flight on this connection hold \d+ bytes of requests/,
      then(peer, seen) {
        assert.equal(seen.calls, 3);
        peer.frame(Kind.cancel, 1); // its handler settles and gives its bytes back
      },
    },
    {
      test: 'resets a stream whose handler does not read, once its queue passes the limit',
      limits: { maxStreamBuffer: 256 * 1024 },
      send(peer) {
        peer.frame(Kind.open, 7, { 'micro-endpoint': 'deaf' });
        for (let i = 0; i < 64; i++) peer.frame(Kind.data, 7, undefined, BIG); // 4 MiB
      },
      id: 7,
      code: 413,
      detail: /stream 7 .*not read/,
      then: (_peer, seen) => seen.pipes[0]?.done, // the handler's side ended too
    },
  ];

  for (const c of refusals)
    it(`${c.test}; the connection serves on`, { timeout: c.timeout ?? 10_000 }, async () => {
      const { peer, seen } = await serve({ limits: c.limits });
      c.send(peer);
      noNodeText(await refused(peer, c));
      await c.then?.(peer, seen);
      await stillServes(peer, 100);
    });

  it('closes with a 400 in our words when the framing breaks', { timeout: 10_000 }, async () => {
    const { h } = handler();
    const l = await listen(h);
    const cases: [string, Buffer][] = [
      [
        'length over the protocol maximum',
        Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 1, 0, 0]),
      ],
      ['length under 7', Buffer.from([0, 0, 0, 3, 1, 0, 0])],
      // header_len 1 holding a name length 0 and no value length: reads past the frame's end.
      ['header pair cut short', Buffer.from([0, 0, 0, 8, 1, 0, 0, 0, 1, 0, 1, 0])],
      ['header block longer than the frame', Buffer.from([0, 0, 0, 7, 1, 0, 0, 0, 1, 0, 9])],
      ['unknown kind', Buffer.from([0, 0, 0, 7, 42, 0, 0, 0, 1, 0, 0])],
      ['a reply from the client', Buffer.from([0, 0, 0, 7, 2, 0, 0, 0, 1, 0, 0])],
    ];
    for (const [what, bytes] of cases) {
      const peer = await open(l);
      peer.write(bytes);
      const err = await peer.error(0);
      assert.equal(err.code, 400, what);
      assert.equal(err.id, 'micro.transport');
      noNodeText(err);
      await peer.whenClosed();
    }
  });

  it(
    'stops reading a peer that does not read its replies, and drops the replies past the limit',
    { timeout: 30_000 },
    async () => {
      const { peer, seen } = await serve({ limits: { maxWriteBuffer: 1024 * 1024 } });
      peer.socket.pause(); // does not read
      // 1,000 calls for 64 KiB each: 64 MiB of replies if the server kept them all for this peer.
      for (let id = 1; id <= 1000; id++) peer.request(id, 'big');
      // Every call reached the handler, and its answer was written (or not) in the turns after.
      for (let i = 0; i < 1000 && seen.calls < 1000; i++)
        await new Promise((r) => setTimeout(r, 5));
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      const answered = () => new Set(peer.frames.map((f) => f.id)).size;
      peer.socket.resume();
      for (let i = 0; i < 1000 && answered() < 1000; i++)
        await new Promise((r) => setTimeout(r, 10));
      const replies = peer.frames.filter((f) => f.kind === Kind.reply);
      const dropped = peer.frames.filter((f) => f.kind === Kind.error);
      assert.equal(replies.length + dropped.length, 1000, 'each call answered once');
      assert.ok(
        replies.length < 500,
        `${replies.length} replies of 64 KiB kept for a peer that did not read`,
      );
      const err = JSON.parse(dropped[0]?.body.toString() ?? '{}') as ErrorBody;
      assert.equal(err.code, 413);
      assert.match(err.detail, /reply to call \d+ dropped: the peer has not read/);
      // Reading again, the peer is served as before.
      await stillServes(peer, 2000);
    },
  );

  it('resets a stream that sends to a peer that does not read', { timeout: 30_000 }, async () => {
    const { peer, seen } = await serve({ limits: { maxWriteBuffer: 1024 * 1024 } });
    peer.socket.pause();
    peer.frame(Kind.open, 5, { 'micro-endpoint': 'flood' });
    for (let i = 0; i < 1000 && !seen.pipes[0]; i++) await new Promise((r) => setTimeout(r, 5));
    await seen.pipes[0]?.done;
    assert.ok(
      seen.sent < 1000,
      `${seen.sent} messages of 64 KiB queued for a peer that does not read`,
    );
    peer.socket.resume();
    await refused(peer, { id: 5, code: 413, detail: /stream 5 .*not read/ });
  });
});
