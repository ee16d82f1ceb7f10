import type { Codec } from '../runtime/codec/codec.ts';

/**
 * JSON that the gateway does not re-encode: bytes pass through as they are in both directions, so
 * a response goes from the service to the HTTP client without being parsed and serialized again.
 */
export function createPassthroughJsonCodec(): Codec {
  return {
    name: 'json',
    contentType: 'application/json',
    encode: (value) =>
      value instanceof Uint8Array
        ? value
        : Buffer.from(value === undefined ? 'null' : JSON.stringify(value)),
    decode: (bytes) =>
      Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
  };
}
