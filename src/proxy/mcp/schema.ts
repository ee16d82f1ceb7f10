// A tool's input and output schemas from an endpoint's request and response schemas, as MCP
// clients take them. MCP wants object schemas: a request that is not one is wrapped as `{value}`,
// stream messages as `{messages: [...]}` (a server stream's with `truncated`), a response that is
// not one gives no output schema (a schema that is an object's without saying so, properties or
// a union of object schemas, is given its type); a wrapped schema's `$defs` move to the wrapper's root and its
// other local references (`#` itself) are re-rooted to where it now sits. What the official SDK's client does with a listing decides the
// rest: it checks each tool's `properties` (objects) and `required` (strings), and compiles every
// output schema with ajv (draft-07, `strict: false`) before it takes any tool, so one schema it
// cannot compile (a `$ref` to nowhere, `nullable` without `type`, a bad pattern) would cost the
// agent the whole list; and it keeps compiled schemas by their `$id`, so two tools sharing one
// would be validated against the same schema.
//
// Guarantees: every schema given out passes those checks, compiled here by the same ajv; one that
// does not is replaced by the loosest schema of the same shape (`{type: 'object'}`, `{value}`,
// `{messages}`; no output schema for a unary call), so the tool stays callable. The root's
// `$schema` and `$id` are left out, and boolean property schemas written as objects. Limits:
// a schema of plain keywords is taken as it is; any other is compiled once (verdicts are kept for
// CACHE schemas, by a hash of their JSON); one of more than MAX_SCHEMA characters is replaced.
import { createHash } from 'node:crypto';
import type { Ajv } from 'ajv';
import type { Schema } from '../../registry/registry.ts';
import { loadSync } from '../../runtime/load-sync.ts';
import { isPlainValid } from '../../runtime/server/validator.ts';
import type { ObjectSchema } from './mcp.ts';

/**
 * Characters of a schema's JSON at most: a larger one is replaced by the loosest of its shape (an
 * agent reads every schema listed into its model's context; a page of tools stays bounded).
 */
export const MAX_SCHEMA = 64 * 1024;

/** Verdicts kept at most (schemas by a hash of their JSON). */
const CACHE = 50_000;

const isObjectSchema = (s: Schema | undefined): s is ObjectSchema => s?.type === 'object';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An object schema as given out at the root: without `$schema` (clients validate with their own
 * dialect) and `$id` (the SDK's client keeps compiled schemas by it, across tools), and with
 * boolean property schemas as objects (the client's listing check takes only objects).
 */
function rooted(s: ObjectSchema): ObjectSchema {
  const { $schema: _dialect, $id: _id, ...rest } = s;
  const props = rest.properties;
  if (isObject(props) && Object.values(props).some((p) => typeof p === 'boolean'))
    rest.properties = Object.fromEntries(
      Object.entries(props).map(([k, p]) => [k, p === true ? {} : p === false ? { not: {} } : p]),
    );
  return { ...rest, type: 'object' };
}

// Keywords that constrain a value; a schema with none of them (and no type) takes anything.
const CONSTRAINTS = ['anyOf', 'oneOf', 'allOf', 'not', 'enum', 'const', 'items', '$ref'];

// Keywords whose values are data, not schemas: their `$ref` keys are not references.
const DATA = new Set(['enum', 'const', 'default', 'examples']);

/** A local reference of a schema placed at `at` in a wrapper (`#/$defs/...` stay: they move up). */
const rebaseRef = (ref: string, at: string): string =>
  ref === '#'
    ? `#${at}`
    : ref.startsWith('#/') && !/^#\/(\$defs|definitions)\//.test(ref)
      ? `#${at}${ref.slice(1)}`
      : ref;

/** The schema with its local references re-rooted at `at` (nesting is bounded by the catalog). */
function rebase(v: unknown, at: string, depth = 0): unknown {
  if (typeof v !== 'object' || v === null || depth > 128) return v;
  if (Array.isArray(v)) return v.map((x) => rebase(x, at, depth + 1));
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [
      k,
      k === '$ref' && typeof x === 'string'
        ? rebaseRef(x, at)
        : DATA.has(k)
          ? x
          : rebase(x, at, depth + 1),
    ]),
  );
}

/**
 * A schema placed inside a wrapper object at `at`: its `$defs` and `definitions` move to the
 * wrapper's root, where its `#/$defs/...` references still find them, and its other local
 * references (`#` itself, `#/properties/...`) are re-rooted to where it now is.
 */
function wrap(
  schema: Schema | undefined,
  build: (inner?: Schema) => Schema,
  at = '',
): ObjectSchema {
  if (!schema) return { ...build(), type: 'object' };
  const { $defs, definitions, $schema: _dialect, $id: _id, ...rest } = schema;
  const inner = rebase(rest, at) as Schema;
  return {
    ...build(inner),
    ...($defs !== undefined && { $defs }),
    ...(definitions !== undefined && { definitions }),
    type: 'object',
  };
}

// Where the wrappers put the schema they wrap.
const ITEMS = '/properties/messages/items';
const VALUE = '/properties/value';

const messagesIn = (items?: Schema): Schema => ({
  properties: { messages: { type: 'array', ...(items && { items }) } },
});
const messagesOut = (items?: Schema): Schema => ({
  properties: {
    messages: { type: 'array', ...(items && { items }) },
    truncated: { type: 'boolean' },
  },
});
const valueOf = (value?: Schema): Schema => ({
  properties: { value: value ?? {} },
  required: ['value'],
});

/**
 * True for an object schema that left its type out: it has properties, or every branch of its
 * `anyOf`/`oneOf` is an object schema (a discriminated union, as Zod writes one).
 */
const untypedObject = (s: Schema | undefined): boolean =>
  s !== undefined &&
  s.type === undefined &&
  (typeof s.properties === 'object' ||
    [s.anyOf, s.oneOf].some(
      (branches) =>
        Array.isArray(branches) &&
        branches.length > 0 &&
        branches.every((b) => isObject(b) && b.type === 'object'),
    ));

/** A request schema as a tool's input schema (and whether it was wrapped as `{value}`). */
function inputOf(request: Schema | undefined, kind: string): [ObjectSchema, boolean] {
  if (kind === 'client' || kind === 'bidi') return [wrap(request, messagesIn, ITEMS), false];
  if (isObjectSchema(request)) return [rooted(request), false];
  if (request && untypedObject(request)) return [rooted({ ...request, type: 'object' }), false];
  if (request && request.type === undefined) {
    // Nothing constrains it: the arguments are sent as they are.
    if (!CONSTRAINTS.some((k) => k in request)) return [{ type: 'object' }, false];
  }
  if (!request) return [{ type: 'object' }, false];
  return [wrap(request, valueOf, VALUE), true];
}

/** A response schema as a tool's output schema, when MCP can take it. */
function outputOf(response: Schema | undefined, kind: string): ObjectSchema | undefined {
  if (kind === 'server' || kind === 'bidi') return wrap(response, messagesOut, ITEMS);
  if (isObjectSchema(response)) return rooted(response);
  return response && untypedObject(response) ? rooted({ ...response, type: 'object' }) : undefined;
}

/** A tool's input schema (the loosest of its shape when clients could not take it), and whether it is `{value}`. */
export function inputSchemaOf(request: Schema | undefined, kind: string): [ObjectSchema, boolean] {
  const [schema, isValue] = inputOf(request, kind);
  if (usable(schema)) return [schema, isValue];
  if (kind === 'client' || kind === 'bidi') return [wrap(undefined, messagesIn), false];
  return [isValue ? wrap({}, valueOf) : { type: 'object' }, isValue];
}

/** A tool's output schema (for a stream, the loosest of its shape when clients could not take it). */
export function outputSchemaOf(
  response: Schema | undefined,
  kind: string,
): ObjectSchema | undefined {
  const schema = outputOf(response, kind);
  if (!schema || usable(schema)) return schema;
  return kind === 'server' || kind === 'bidi' ? wrap(undefined, messagesOut) : undefined;
}

let ajv: Ajv | undefined;
const verdicts = new Map<string, boolean>();

/** True when the listing check of the SDK's client takes the schema's `properties` and `required`. */
const listable = (s: ObjectSchema): boolean =>
  (s.properties === undefined ||
    (isObject(s.properties) &&
      Object.values(s.properties).every((p) => typeof p === 'object' && p !== null))) &&
  (s.required === undefined ||
    (Array.isArray(s.required) && s.required.every((r) => typeof r === 'string')));

/** True when an MCP client takes the schema: its listing check passes and ajv compiles it. */
function usable(schema: ObjectSchema): boolean {
  if (!listable(schema)) return false;
  let text: string;
  try {
    text = JSON.stringify(schema);
  } catch {
    return false;
  }
  if (text.length > MAX_SCHEMA) return false;
  // Plain keywords only, with the values draft-07 allows: nothing in it can fail to compile.
  if (isPlainValid(schema)) return true;
  const key = createHash('sha256').update(text).digest('base64');
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  // As the SDK's client makes its ajv (formats are not checked here: an unknown one is ignored).
  ajv ??= new (loadSync<typeof import('ajv')>('ajv', () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('ajv'),
  ).Ajv)({ strict: false, validateSchema: false, validateFormats: false, logger: false });
  let ok = true;
  try {
    // A fresh copy each time: ajv keeps what it compiled, by identity and by $id.
    ajv.compile(JSON.parse(text) as object);
  } catch {
    ok = false;
  } finally {
    ajv.removeSchema();
  }
  if (verdicts.size >= CACHE) verdicts.clear();
  verdicts.set(key, ok);
  return ok;
}
