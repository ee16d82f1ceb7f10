/** Bounded JSON nesting: a deep document is refused as it arrives, before code that recurses (JSON.stringify, codecs, validators) meets it. */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../runtime/errors.ts';

/** Default deepest nesting of arrays and objects accepted in a request body (256 levels). */
export const MAX_JSON_DEPTH = 256;

/** True when the JSON text nests arrays and objects deeper than `max`; one linear pass, strings skipped. */
export function nestedDeeper(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: jump to its closing quote, past escaped ones.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i < 0) return false; // unterminated: JSON.parse reports it
        let k = i - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((i - k) % 2 === 1) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Parses JSON text with nesting at most `maxDepth`; a 400 from `id` naming the problem otherwise. */
export function parseBoundedJson(
  text: string,
  maxDepth: number,
  id: string,
  what = 'JSON',
): unknown {
  if (nestedDeeper(text, maxDepth))
    throw badRequest(id, `${what} is nested deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(id, `${what} is malformed: ${(err as Error).message}`);
  }
}

/** Replaces fastify's JSON parser by one that first refuses nesting deeper than `maxDepth` (a 400 from `id`). */
export function useBoundedJsonParser(app: FastifyInstance, maxDepth: number, id: string): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (nestedDeeper(text, maxDepth))
      return done(badRequest(id, `the body is nested deeper than ${maxDepth} levels`), undefined);
    void json(req, text, done);
  });
}
