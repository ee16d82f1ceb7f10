import type { Ajv, ValidateFunction } from 'ajv';
import type { Schema } from '../../registry/registry.ts';
import { loadSync } from '../load-sync.ts';

/** Compiles request schemas into validators. */
export type ValidatorCompiler = (schema: Schema) => ValidateFunction;

/**
 * A compiler for one server's request schemas, with ajv loaded at the first schema (a service
 * without schemas never loads it). Ajv checks each schema against the JSON Schema meta-schema
 * first, and compiling that meta-schema costs more than everything else a service does at start;
 * a schema made only of the plain keywords below is valid by construction and skips the check.
 * Any other schema is checked as before, so the validators and the errors are the same either way.
 */
export function createValidatorCompiler(): ValidatorCompiler {
  let ajv: Ajv | undefined;
  return (schema) => {
    ajv ??= new (loadSync<typeof import('ajv')>('ajv', () =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('ajv'),
    ).Ajv)({ allErrors: true, strict: false });
    if (!isPlainValid(schema)) return ajv.compile(schema);
    const opts = ajv.opts as { validateSchema?: boolean | 'log' };
    const before = opts.validateSchema;
    opts.validateSchema = false;
    try {
      return ajv.compile(schema);
    } finally {
      opts.validateSchema = before;
    }
  };
}

const SIMPLE_TYPES = new Set(['array', 'boolean', 'integer', 'null', 'number', 'object', 'string']);

const isObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};
const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
const isUniqueStrings = (v: unknown, min: number): boolean =>
  Array.isArray(v) &&
  v.length >= min &&
  v.every((s) => typeof s === 'string') &&
  new Set(v).size === v.length;

/** Checks one keyword's value against what the draft-07 meta-schema requires of it. */
const KEYWORDS: Record<string, (v: unknown) => boolean> = {
  type: (v) =>
    (typeof v === 'string' && SIMPLE_TYPES.has(v)) ||
    (isUniqueStrings(v, 1) && (v as string[]).every((t) => SIMPLE_TYPES.has(t))),
  properties: (v) => isObject(v) && Object.values(v).every(isPlainValid),
  required: (v) => isUniqueStrings(v, 0),
  items: (v) => isPlainValid(v) || (Array.isArray(v) && v.length >= 1 && v.every(isPlainValid)),
  additionalProperties: (v) => isPlainValid(v),
  title: (v) => typeof v === 'string',
  description: (v) => typeof v === 'string',
  enum: (v) => isUniqueStrings(v, 1),
  minimum: Number.isFinite,
  maximum: Number.isFinite,
  exclusiveMinimum: Number.isFinite,
  exclusiveMaximum: Number.isFinite,
  minLength: isCount,
  maxLength: isCount,
  minItems: isCount,
  maxItems: isCount,
};

/**
 * True for a schema that certainly passes draft-07's meta-schema: a boolean, or a plain object
 * whose every key is one of KEYWORDS with a value it allows (nested schemas alike). False means
 * only "not shown valid here".
 */
export function isPlainValid(schema: unknown): boolean {
  if (typeof schema === 'boolean') return true;
  if (!isObject(schema)) return false;
  for (const [key, value] of Object.entries(schema)) {
    const check = Object.hasOwn(KEYWORDS, key) ? KEYWORDS[key] : undefined;
    if (!check?.(value)) return false;
  }
  return true;
}
