import { decodeOrThrow, type Codec } from './codec.ts';

/** JSON bodies, `application/json`: the default codec. */
export function createJsonCodec(): Codec {
  return {
    name: 'json',
    contentType: 'application/json',
    // undefined encodes as null: no message is ever empty (an empty WebSocket message ends a stream).
    encode: (value) => Buffer.from(value === undefined ? 'null' : JSON.stringify(value)),
    decode: (bytes) => {
      if (bytes.length === 0) return {};
      const buf = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      return decodeOrThrow(() => JSON.parse(buf.toString('utf8')) as unknown);
    },
  };
}
