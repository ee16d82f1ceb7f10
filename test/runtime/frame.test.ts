import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FrameReader,
  Kind,
  MAX_FRAME,
  encodeFrame,
  type Frame,
} from '../../src/runtime/transport/frame.ts';

describe('frames', () => {
  it('round-trips kind, id, header and body, including UTF-8', () => {
    const frames: Frame[] = [];
    const r = new FrameReader((f) => frames.push(f));
    r.push(
      encodeFrame(
        Kind.request,
        42,
        { 'micro-service': 'greeter', 'x-name': 'Zoë' },
        Buffer.from('{"name":"Ann"}'),
      ),
    );
    assert.equal(frames.length, 1);
    const f = frames[0] as Frame;
    assert.equal(f.kind, Kind.request);
    assert.equal(f.id, 42);
    assert.deepEqual(f.header, { 'micro-service': 'greeter', 'x-name': 'Zoë' });
    assert.equal(f.body.toString(), '{"name":"Ann"}');
  });

  it('reassembles frames split across reads and splits frames sharing one read', () => {
    const frames: Frame[] = [];
    const r = new FrameReader((f) => frames.push(f));
    const bytes = Buffer.concat(
      [1, 2, 3].map((i) => encodeFrame(Kind.data, i, undefined, Buffer.alloc(1000, i))),
    );
    for (let at = 0; at < bytes.length; at += 7) r.push(bytes.subarray(at, at + 7));
    assert.deepEqual(
      frames.map((f) => [f.id, f.body.length, f.body[0]]),
      [
        [1, 1000, 1],
        [2, 1000, 2],
        [3, 1000, 3],
      ],
    );
  });

  it('refuses a frame that claims to be larger than the limit', () => {
    const r = new FrameReader(() => undefined);
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(MAX_FRAME + 1, 0);
    assert.throws(() => r.push(huge), /over the protocol's maximum/);
  });
});
