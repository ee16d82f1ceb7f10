import { createBsonCodec } from './bson.ts';
import type { Codec, CodecFactory } from './codec.ts';
import { createJsonCodec } from './json.ts';
import { createMsgpackCodec } from './msgpack.ts';

export type { Codec, CodecFactory } from './codec.ts';
export { CodecError, CodecErrors } from './codec.ts';

/** The codecs by name: a service serves them all (CodecTable), json first. */
export const codecs = {
  /** `application/json`: the default. */
  json: createJsonCodec,
  /** `application/msgpack` (also `application/x-msgpack`, `application/vnd.msgpack`). */
  msgpack: createMsgpackCodec,
  /** `application/bson`. */
  bson: createBsonCodec,
} satisfies Record<string, CodecFactory>;

/** Looks codecs up by content type; parameters such as `; charset=utf-8` are ignored. */
export class CodecTable {
  readonly #byType = new Map<string, Codec>();
  /** The codec used when a message names no content type: the first one listed. */
  readonly default: Codec;

  constructor(list: Codec[] = [createJsonCodec(), createMsgpackCodec(), createBsonCodec()]) {
    for (const c of list) this.#byType.set(c.contentType, c);
    // Aliases other tools send.
    const mp = this.#byType.get('application/msgpack');
    if (mp) {
      this.#byType.set('application/x-msgpack', mp);
      this.#byType.set('application/vnd.msgpack', mp);
    }
    const first = list[0];
    if (!first) throw new TypeError('at least one codec is required');
    this.default = first;
  }

  /** The codec for a content type, the default when none is given, undefined when unsupported. */
  get(contentType: string | undefined): Codec | undefined {
    if (!contentType) return this.default;
    const direct = this.#byType.get(contentType);
    if (direct) return direct;
    const semi = contentType.indexOf(';');
    return this.#byType.get(
      (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase(),
    );
  }

  /** The content types served, without aliases. */
  types(): string[] {
    return [...new Set(this.#byType.values())].map((c) => c.contentType);
  }
}
