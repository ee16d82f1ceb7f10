import { loadSync } from '../load-sync.ts';
import { decodeOrThrow, type Codec } from './codec.ts';

// bson loads with the first message of this type, not with every service.
let bson: typeof import('bson') | undefined;
const lib = (): typeof import('bson') =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (bson ??= loadSync<typeof import('bson')>('bson', () => require('bson')));

/** The key under which a value that is not a plain object travels. */
const WRAP = '$value';

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/** True for a document with the single key `$value`, which decodes to that key's value. */
const isWrapped = (v: Record<string, unknown>): boolean => {
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === WRAP;
};

/**
 * BSON bodies, `application/bson`, as MongoDB tools and other languages' BSON libraries write them.
 * A BSON body is always a document: a plain object travels as itself, any other value (string,
 * number, boolean, null, array, Date, Buffer) as `{"$value": value}`, and so does an object whose
 * only key is `$value`, so every value round-trips. undefined encodes as null, as in JSON; binary
 * data decodes to a Buffer; an int64 decodes to a number when it is a safe integer.
 */
export function createBsonCodec(): Codec {
  return {
    name: 'bson',
    contentType: 'application/bson',
    encode: (value) => {
      const v = value === undefined ? null : value;
      return lib().serialize(isPlainObject(v) && !isWrapped(v) ? v : { [WRAP]: v });
    },
    decode: (bytes) => {
      if (bytes.length === 0) return {};
      const doc: Record<string, unknown> = decodeOrThrow(() =>
        lib().deserialize(bytes, { promoteBuffers: true }),
      );
      return isWrapped(doc) ? doc[WRAP] : doc;
    },
  };
}
