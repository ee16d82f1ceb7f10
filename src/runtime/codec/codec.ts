/** Encodes and decodes message bodies for one content type. */
export interface Codec {
  /** Short name: `json`, `msgpack`. */
  readonly name: string;
  /** The MIME type that selects this codec. */
  readonly contentType: string;
  /** Encodes a value as a message body. */
  encode(value: unknown): Uint8Array;
  /** Decodes a body; an empty body decodes to an empty object. */
  decode(bytes: Uint8Array): unknown;
}

/** Makes a codec; the codecs table holds one per name. */
export type CodecFactory = () => Codec;

/** The error code raised for a body that does not decode. */
export const CodecErrors = {
  invalid: 'MICRO_ERR_CODEC_INVALID',
  unsupported: 'MICRO_ERR_CODEC_UNSUPPORTED',
} as const;

/** A body that does not decode; `message` is the parser's reason, `code` is CodecErrors.invalid. */
export class CodecError extends Error {
  readonly code = CodecErrors.invalid;
  override name = 'CodecError';
}

/** Runs a parser, turning whatever it throws into a CodecError. */
export function decodeOrThrow<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new CodecError((err as Error).message, { cause: err });
  }
}
