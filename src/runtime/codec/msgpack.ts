import type { Packr } from 'msgpackr';
import { loadSync } from '../load-sync.ts';
import { decodeOrThrow, type Codec } from './codec.ts';

/** MessagePack bodies, `application/msgpack`: smaller and faster than JSON for binary data. */
export function createMsgpackCodec(): Codec {
  // msgpackr loads with the first message of this type, not with every service.
  let packr: Packr | undefined;
  const p = (): Packr =>
    (packr ??= new (loadSync<typeof import('msgpackr')>('msgpackr', () =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('msgpackr'),
    ).Packr)(
      // Records off: plain msgpack that any other language's decoder reads.
      { useRecords: false, mapsAsObjects: true },
    ));
  return {
    name: 'msgpack',
    contentType: 'application/msgpack',
    encode: (value) => p().pack(value),
    decode: (bytes) =>
      bytes.length === 0 ? {} : decodeOrThrow(() => p().unpack(bytes) as unknown),
  };
}
