import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBsonCodec } from '../../src/runtime/codec/bson.ts';
import { createJsonCodec } from '../../src/runtime/codec/json.ts';
import { createMsgpackCodec } from '../../src/runtime/codec/msgpack.ts';
import { runCodecCases } from '../conformance/codec.case.ts';

// json.ts and msgpack.ts still throw their parsers' errors, without the codec code.
runCodecCases('json', createJsonCodec);
runCodecCases('msgpack', createMsgpackCodec);
runCodecCases('bson', createBsonCodec);

describe('bson codec', () => {
  const codec = createBsonCodec();

  it('writes a plain object as the BSON document itself, for other BSON readers', () => {
    const bytes = Buffer.from(codec.encode({ a: 1 }));
    // int32 length, int32 element "a" = 1, terminator
    assert.equal(bytes.toString('hex'), '0c0000001061000100000000');
  });

  it('wraps other values in {"$value": ...}, and an object that looks wrapped as well', () => {
    assert.deepEqual(codec.decode(codec.encode({ $value: 'x' })), { $value: 'x' });
    const other = Buffer.from(codec.encode('hi'));
    assert.ok(other.includes(Buffer.from('$value\0')), 'the wrapper key is in the body');
    assert.equal(codec.decode(other), 'hi');
  });

  it('keeps binary data and dates, and encodes undefined as null', () => {
    const v = { data: Buffer.from([0, 1, 255]), at: new Date(86_400_000) };
    assert.deepEqual(codec.decode(codec.encode(v)), v);
    assert.equal(codec.decode(codec.encode(undefined)), null);
  });
});
