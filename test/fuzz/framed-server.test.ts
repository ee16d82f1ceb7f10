// Fuzzes a real framed TCP server over sockets: arbitrary and mutated bytes after the preface get
// well-formed frames and structured 4xx errors back, the process survives, memory stays bounded,
// and a well-behaved client is served correctly afterwards.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  FrameReader,
  Kind,
  PREFACE,
  encodeFrame,
  type Frame,
} from '../../src/runtime/transport/frame.ts';
import { createTcpTransport } from '../../src/runtime/transport/index.ts';
import type {
  Listener,
  Message,
  Pipe,
  Reply,
  Transport,
  TransportHandler,
} from '../../src/runtime/transport/transport.ts';
import { edited, fc, fuzzParams } from '../helpers/fuzz.ts';

/** Echoes calls and streams; 'hang' waits for its cancel. */
const handler: TransportHandler = {
  call(req: Message, info): Promise<Reply> {
    if (req.header['micro-endpoint'] === 'hang')
      return new Promise((resolve) => {
        info.onCancel = () => resolve({ header: {}, body: Buffer.alloc(0) });
      });
    return Promise.resolve({ header: { 'content-type': 'application/json' }, body: req.body });
  },
  stream(_open: Message, pipe: Pipe): void {
    void (async () => {
      try {
        for await (const m of pipe) pipe.send(m);
        pipe.end();
      } catch {
        // the stream failed or the connection went
      }
    })();
  },
};

/** A frame a client could send: any kind a client uses (and some it does not), ids that collide. */
const frame = fc
  .record({
    kind: fc.oneof(
      fc.constantFrom(Kind.request, Kind.open, Kind.data, Kind.end, Kind.cancel, Kind.ping),
      fc.integer({ min: 0, max: 255 }),
    ),
    id: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 0xffffffff })),
    endpoint: fc.constantFrom('echo', 'hang', 'stream'),
    header: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 }), {
      maxKeys: 4,
    }),
    body: fc.uint8Array({ maxLength: 200 }),
  })
  .map((f) => encodeFrame(f.kind, f.id, { ...f.header, 'micro-endpoint': f.endpoint }, f.body));

/** Valid client frames, then up to four bytes flipped, inserted, removed or set. */
const mutated = edited(
  fc.array(frame, { minLength: 1, maxLength: 8 }).map((frames) => Buffer.concat(frames)),
  { minEdits: 0, maxEdits: 4 },
);

/** Sends the preface and bytes, a ping, then ends; resolves with every byte the server sent until it closed. */
function exchange(address: string, bytes: Buffer): Promise<Buffer> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    address.slice(address.lastIndexOf(':') + 1),
  ];
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const s = connect({ host, port: Number(port) });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('the server neither answered nor closed within 5 s'));
    }, 5000);
    s.on('data', (c: Buffer) => got.push(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got));
    });
    s.on('connect', () => {
      s.write(PREFACE);
      s.write(bytes);
      s.end(encodeFrame(Kind.ping, 0xfffffff0, undefined));
    });
  });
}

/** What the server sent splits into whole frames; each error is `{id, code, detail, status}`, a 4xx. */
function assertWellFormed(out: Buffer): void {
  const frames: Frame[] = [];
  const reader = new FrameReader((f) => frames.push(f));
  reader.push(out);
  assert.equal(reader.partial, false, 'the server sent part of a frame');
  for (const f of frames) {
    assert.ok(
      [Kind.reply, Kind.error, Kind.data, Kind.end, Kind.pong].includes(f.kind as 2),
      `a server sent kind ${f.kind}`,
    );
    if (f.kind !== Kind.error) continue;
    const e = JSON.parse(f.body.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(e).sort(), ['code', 'detail', 'id', 'status']);
    assert.equal(typeof e.detail, 'string');
    assert.ok(
      typeof e.code === 'number' && e.code >= 400 && e.code < 500,
      `error ${String(e.code)}: ${String(e.detail)}`,
    );
    assert.doesNotMatch(String(e.detail), /RangeError|ERR_|out of range|Received|\n\s+at /);
  }
}

describe('fuzz: framed TCP server', () => {
  let listener: Listener;
  let client: Transport;
  let rssBefore = 0;
  before(async () => {
    // Small limits, so that the fuzz input reaches them.
    listener = await createTcpTransport().listen('127.0.0.1:0', handler, {
      limits: { maxFrameBytes: 4096, maxHeaderPairs: 8, maxCalls: 4, maxStreams: 4 },
    });
    client = createTcpTransport();
    rssBefore = process.memoryUsage().rss;
  });
  after(async () => {
    await client.close();
    await listener.close();
  });

  it('answers arbitrary bytes after the preface with well-formed frames, or closes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        assertWellFormed(await exchange(listener.address, Buffer.from(bytes)));
      }),
      fuzzParams(1000, 10_000),
    );
  });

  it('answers mutated valid frames with well-formed frames and 4xx errors, or closes', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, async (bytes) => {
        assertWellFormed(await exchange(listener.address, bytes));
      }),
      fuzzParams(1000, 10_000),
    );
  });

  it('then serves a well-behaved client correctly, with memory bounded', async () => {
    const header = { 'micro-endpoint': 'echo', 'content-type': 'application/json' };
    // One after another: the listener allows 4 calls at once on a connection.
    for (let i = 0; i < 50; i++) {
      const body = Buffer.from(`{"n":${i}}`);
      const r = await client.call(listener.address, { header, body }, 5000);
      assert.equal(Buffer.from(r.body).toString(), `{"n":${i}}`);
    }
    const pipe = await client.stream(listener.address, { header, body: Buffer.alloc(0) });
    pipe.send(Buffer.from('"one"'));
    pipe.end();
    const got: string[] = [];
    for await (const m of pipe) got.push(Buffer.from(m).toString());
    assert.deepEqual(got, ['"one"']);
    const grown = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    assert.ok(grown < 200, `rss grew ${grown.toFixed(0)} MiB over the fuzz runs`);
  });
});
