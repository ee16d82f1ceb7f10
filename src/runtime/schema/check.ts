// One request check per endpoint, from whatever schema it declared: a Standard Schema validates
// with its own library (and may transform the value), JSON Schema and TypeBox with ajv.
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { badRequest } from '../errors.ts';
import type { ValidatorCompiler } from '../server/validator.ts';
import type { SchemaLike } from './types.ts';

/**
 * Checks one decoded request: returns the value the handler gets (a Standard Schema may have
 * transformed it), or a promise of it for a schema that validates asynchronously; throws a 400
 * MicroError naming each problem when the value does not match.
 */
export type RequestCheck = (value: unknown) => unknown;

/** True for a Standard Schema: an object (or function, as ArkType's are) with a `~standard` validator. */
export function isStandardSchema(schema: unknown): schema is StandardSchemaV1 {
  if ((typeof schema !== 'object' && typeof schema !== 'function') || schema === null) return false;
  const std = (schema as Partial<StandardSchemaV1>)['~standard'];
  return typeof std === 'object' && std !== null && typeof std.validate === 'function';
}

/** The check for an endpoint's request schema; `compile` turns JSON Schema into an ajv validator. */
export function requestCheck(
  service: string,
  endpoint: string,
  schema: SchemaLike,
  compile: ValidatorCompiler,
): RequestCheck {
  const fail = (why: string): never => {
    throw badRequest(service, `request to ${endpoint} does not match its schema: ${why}`);
  };
  if (isStandardSchema(schema)) {
    const validate = schema['~standard'].validate;
    const settle = (r: StandardSchemaV1.Result<unknown>): unknown =>
      r.issues ? fail(describeIssues(r.issues)) : r.value;
    return (value) => {
      const r = validate(value);
      return r instanceof Promise ? r.then(settle) : settle(r);
    };
  }
  const validate = compile(schema);
  return (value) => {
    if (validate(value)) return value;
    return fail(
      (validate.errors ?? [])
        .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
        .join('; '),
    );
  };
}

const MAX_ISSUES = 20;

/** Standard Schema issues as ajv's are printed: `/path message`, joined by "; ". */
export function describeIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  const shown = issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = (issue.path ?? [])
      .map((p) => (typeof p === 'object' && p !== null ? p.key : p))
      .map((k) => `/${String(k).replaceAll('~', '~0').replaceAll('/', '~1')}`)
      .join('');
    return `${path || '/'} ${issue.message || 'is invalid'}`;
  });
  if (issues.length > MAX_ISSUES) shown.push(`and ${issues.length - MAX_ISSUES} more`);
  return shown.join('; ');
}
