import { Packr } from 'msgpackr';
import { decodeOrThrow, type Codec } from './codec.ts';

/** MessagePack bodies, `application/msgpack`: smaller and faster than JSON for binary data. */
export function createMsgpackCodec(): Codec {
  // Records off: plain msgpack that any other language's decoder reads.
  const packr = new Packr({ useRecords: false, mapsAsObjects: true });
  return {
    name: 'msgpack',
    contentType: 'application/msgpack',
    encode: (value) => packr.pack(value),
    decode: (bytes) =>
      bytes.length === 0 ? {} : decodeOrThrow(() => packr.unpack(bytes) as unknown),
  };
}
