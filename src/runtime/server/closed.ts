// Closed request schemas: a request advertised as a closed JSON Schema (for OpenAPI, the dashboard
// and generated clients) and checked by the service's own code, so that an unknown or missing
// field is a 400 that names it. ajv's "must NOT have additional properties" names nothing, and a
// Standard Schema issue's text would be framed as a JSON pointer; the check throws its 400 itself.
import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec';
import { printable } from '../../registry/printable.ts';
import type { Schema } from '../../registry/registry.ts';
import { fieldList, isObject } from '../../registry/validate.ts';
import { badRequest } from '../errors.ts';

/** A request schema whose validation is the service's own check; what closed() returns. */
export type ClosedSchema<T> = StandardSchemaV1<unknown, T> & StandardJSONSchemaV1;

/**
 * The request of `endpoint` (`Store.Get`) of the service `id`, described by `schema` (an object
 * schema listing its `properties` and `required`): anything but a JSON object, a field not in
 * `properties` or a missing required field is a 400 from `id` naming it; then `check` turns the
 * request into what the handler takes, throwing its own 400s.
 */
export function closed<T>(
  id: string,
  endpoint: string,
  schema: Schema,
  check: (request: Record<string, unknown>) => T,
): ClosedSchema<T> {
  const what = `a ${endpoint} request`;
  const known = Object.keys((schema.properties as object | undefined) ?? {});
  const required = (schema.required as string[] | undefined) ?? [];
  const describe = (): Schema => structuredClone(schema);
  return {
    '~standard': {
      version: 1,
      vendor: 'micro',
      validate(value) {
        if (!isObject(value)) throw badRequest(id, `${what} must be a JSON object`);
        for (const key of Object.keys(value))
          if (!known.includes(key))
            throw badRequest(
              id,
              known.length === 0
                ? `${shownKey(key)} is not a field of ${what}; it takes none`
                : `${shownKey(key)} is not a field of ${what}; it takes ${fieldList(known)}`,
            );
        for (const key of required)
          if (value[key] === undefined) throw badRequest(id, `${what} needs ${key}`);
        return { value: check(value) };
      },
      jsonSchema: { input: describe, output: describe },
    },
  };
}

/** A field's name as a message quotes it: a plain word as it is, anything else as JSON, cut short. */
export const shownKey = (key: string): string =>
  /^[\w-]{1,40}$/.test(key) ? key : printable(JSON.stringify(key.slice(0, 40)), false);

/** A closed object schema of these properties, `required` among them. */
export const closedShape = (
  properties: Record<string, object>,
  required: string[] = [],
): Schema => ({
  type: 'object',
  ...(required.length > 0 && { required }),
  properties,
  additionalProperties: false,
});

/**
 * The requests of a service's handler `handler` (`Store`) taken as they are once closed() found
 * only their fields: the handler's engine checks the values. Gives `(method, properties, required)`
 * -> the endpoint's request schema.
 */
export const passedAsIs =
  (id: string, handler: string) =>
  (
    method: string,
    properties: Record<string, object>,
    required: string[] = [],
  ): ClosedSchema<Record<string, unknown>> =>
    closed(id, `${handler}.${method}`, closedShape(properties, required), (req) => req);
