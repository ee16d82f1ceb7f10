import type { Codec } from './codec.ts';

const empty = new Uint8Array(0);

/** JSON bodies, `application/json`: the default codec. */
export function createJsonCodec(): Codec {
  return {
    name: 'json',
    contentType: 'application/json',
    encode: (value) => (value === undefined ? empty : Buffer.from(JSON.stringify(value))),
    decode: (bytes) => {
      if (bytes.length === 0) return {};
      const buf = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      return JSON.parse(buf.toString('utf8')) as unknown;
    },
  };
}
