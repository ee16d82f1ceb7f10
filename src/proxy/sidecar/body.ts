/** The sidecar's request bodies: JSON with bounded nesting, and forms with a bounded number of fields. */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../runtime/errors.ts';
import { parseBoundedJson, useBoundedJsonParser } from '../nesting.ts';
import { SIDECAR_ID } from './guard.ts';

/** Limits on what a body may hold. */
export interface BodyLimits {
  /** Deepest nesting of arrays and objects. */
  jsonDepth: number;
  /** Most fields in a form body. */
  formFields: number;
}

/** Parses a form body into its fields (the last of a repeated name wins); a 400 past `max` fields. */
function parseForm(text: string, max: number): Record<string, string> {
  // Counted before parsing: URLSearchParams over a million empty fields blocks for a second.
  let fields = 1;
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1))
    if (++fields > max) throw badRequest(SIDECAR_ID, `a form body may have at most ${max} fields`);
  return Object.fromEntries(new URLSearchParams(text));
}

/**
 * Registers the parsers: JSON and forms only, anything else is a 415 rather than a string the
 * handlers would misread. `curl -d '{...}'` labels JSON as a form, so a form body that starts like
 * JSON is JSON, as in the gateway.
 */
export function registerBodyParsers(app: FastifyInstance, limits: BodyLimits): void {
  app.removeContentTypeParser('text/plain');
  useBoundedJsonParser(app, limits.jsonDepth, SIDECAR_ID);
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => {
      const text = body as string;
      try {
        done(
          null,
          /^\s*[[{]/.test(text)
            ? parseBoundedJson(text, limits.jsonDepth, SIDECAR_ID, 'the body')
            : parseForm(text, limits.formFields),
        );
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
}
