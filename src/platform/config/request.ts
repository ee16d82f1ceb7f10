// Closed request checks for the config service: a request is a JSON object of known fields only;
// an unknown field or a missing required one is a 400 naming it. The values themselves are checked
// by the Config behind the service, which names the field at fault as well.
import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec';
import type { Schema } from '../../registry/registry.ts';
import { badRequest } from '../../runtime/errors.ts';
import { CONFIG_ID, isTree, shown } from './tree.ts';

/** A request's fields as the check passes them on. */
export type Fields = Record<string, unknown>;

/**
 * A request schema advertised as this closed JSON Schema (`additionalProperties: false`) and
 * checked here, so that the 400 names the unknown field (ajv's message does not).
 */
export function closed(
  endpoint: string,
  properties: Record<string, Schema>,
  required: string[] = [],
): StandardSchemaV1<unknown, Fields> & StandardJSONSchemaV1 {
  const what = `a Config.${endpoint} request`;
  const known = Object.keys(properties);
  const schema: Schema = { type: 'object', properties, required, additionalProperties: false };
  const describe = (): Schema => structuredClone(schema);
  return {
    '~standard': {
      version: 1,
      vendor: 'micro',
      validate(value) {
        if (!isTree(value)) throw badRequest(CONFIG_ID, `${what} must be a JSON object`);
        for (const key of Object.keys(value))
          if (!known.includes(key))
            throw badRequest(
              CONFIG_ID,
              `${/^[\w-]{1,40}$/.test(key) ? key : shown(key)} is not a field of ${what}; it takes ${known.join(', ') || 'no fields'}`,
            );
        for (const key of required)
          if (value[key] === undefined) throw badRequest(CONFIG_ID, `${key} is required: ${what} needs it`);
        return { value };
      },
      jsonSchema: { input: describe, output: describe },
    },
  };
}
