// An answer held against the output schema its tool advertises, as MCP requires of
// structuredContent (and as the official SDK clients check, refusing the result otherwise).
// Properties a strict object schema (`additionalProperties: false`, as Zod objects give) does not
// name are dropped, as a Zod parse would drop them: a handler returning an object with more fields
// than its schema is common TypeScript. Anything else that does not match is the service's error,
// a 502 naming the first mismatch. A schema ajv cannot compile is not checked (the answer passes
// as it is). Validators are compiled once per schema object and kept while it is.
import type { Ajv as AjvType, ValidateFunction } from 'ajv';
import { loadSync } from '../../runtime/load-sync.ts';
import type { ObjectSchema } from './mcp.ts';

let ajv: AjvType | undefined;
const compiled = new WeakMap<object, ValidateFunction | null>();

/** The validator of a schema; null when ajv cannot compile it. */
function validatorOf(schema: ObjectSchema): ValidateFunction | null {
  let v = compiled.get(schema);
  if (v !== undefined) return v;
  ajv ??= new (loadSync<typeof import('ajv')>('ajv', () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('ajv'),
  ).Ajv)({ strict: false, removeAdditional: true, validateFormats: false });
  try {
    v = ajv.compile(schema);
  } catch {
    v = null;
  }
  compiled.set(schema, v);
  return v;
}

/**
 * `answer` (a fresh copy the caller owns: it may be changed) made to match `schema`: the value
 * with undeclared properties of strict objects dropped, or why it cannot match.
 */
export function conform(
  schema: ObjectSchema,
  answer: Record<string, unknown>,
): { value: Record<string, unknown> } | { mismatch: string } {
  const validate = validatorOf(schema);
  if (!validate || validate(answer)) return { value: answer };
  const e = validate.errors?.[0];
  return {
    mismatch: e ? `${e.instancePath || '/'} ${e.message ?? 'does not match'}` : 'does not match',
  };
}
