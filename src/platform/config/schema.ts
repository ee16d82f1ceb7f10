// JSON Schema checks of a namespace's tree with ajv (loaded on the first schema): a tree that fails
// is a 400 naming each path at fault and the rule it breaks ("db.pool.max: must be <= 100 (maximum)").
// Compiled schemas are cached by their text (at most 64); a schema is at most 64 KiB as JSON.
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { badRequest } from '../../runtime/errors.ts';
import { CONFIG_ID, isTree, shown } from './tree.ts';

/** The largest schema a namespace takes, as JSON. */
export const SCHEMA_BYTES = 64 * 1024;
const CACHED = 64;
const SHOWN_ERRORS = 5;

let ajv: Promise<Ajv> | undefined;
const compiled = new Map<string, ValidateFunction>();

/** The validator of a schema (compiled once per text); a schema ajv refuses is a 400. */
async function validator(schema: object): Promise<ValidateFunction> {
  const text = JSON.stringify(schema);
  const hit = compiled.get(text);
  if (hit) return hit;
  const a = await (ajv ??= import('ajv').then(
    ({ Ajv }) => new Ajv({ allErrors: true, strict: false }),
  ));
  let fn: ValidateFunction;
  try {
    fn = a.compile(schema);
  } catch (err) {
    throw badRequest(CONFIG_ID, `schema is not a valid JSON Schema: ${(err as Error).message}`);
  }
  if (compiled.size >= CACHED) compiled.delete(compiled.keys().next().value!);
  compiled.set(text, fn);
  return fn;
}

/** Checks a schema as given to setSchema: a JSON object within SCHEMA_BYTES that ajv compiles. */
export async function checkSchema(schema: unknown): Promise<object> {
  if (!isTree(schema) && typeof schema !== 'boolean')
    throw badRequest(CONFIG_ID, 'schema must be a JSON Schema object (or null to remove it)');
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > SCHEMA_BYTES)
    throw badRequest(
      CONFIG_ID,
      `schema is ${bytes} bytes as JSON, over the limit of ${SCHEMA_BYTES}`,
    );
  await validator(schema as object);
  return schema as object;
}

/** A dot path from a JSON pointer (`/db/pool/max` -> `db.pool.max`). */
const dotted = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');

/** One ajv error as `path: message (keyword)`, the path naming the member at fault. */
function describe(e: ErrorObject): string {
  let path = dotted(e.instancePath);
  const params = e.params as { missingProperty?: string; additionalProperty?: string };
  const member = params.missingProperty ?? params.additionalProperty;
  if (member !== undefined) path = path ? `${path}.${member}` : member;
  return `${path === '' ? '(the whole tree)' : printablePath(path)}: ${e.message ?? 'is invalid'} (${e.keyword})`;
}

const printablePath = (path: string): string => (/^[\w.-]+$/.test(path) ? path : shown(path));

/** Throws a 400 naming each path of the tree that breaks the schema (the first five), else returns. */
export async function validateTree(
  schema: object | undefined,
  tree: unknown,
  namespace: string,
): Promise<void> {
  if (schema === undefined) return;
  const fn = await validator(schema);
  if (fn(tree)) return;
  const errors = fn.errors ?? [];
  const listed = errors.slice(0, SHOWN_ERRORS).map(describe);
  if (errors.length > SHOWN_ERRORS) listed.push(`and ${errors.length - SHOWN_ERRORS} more`);
  throw badRequest(
    CONFIG_ID,
    `${listed.join('; ')} — refused by the schema of namespace ${namespace}; nothing was stored`,
  );
}
