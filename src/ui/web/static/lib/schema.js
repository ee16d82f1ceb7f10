// A sample value for a JSON Schema: what the call form starts from.

/**
 * @typedef {object} Schema
 * @property {string | string[]} [type]
 * @property {Record<string, Schema>} [properties]
 * @property {Schema} [items]
 * @property {unknown} [default]
 * @property {unknown[]} [examples]
 * @property {unknown} [const]
 * @property {unknown[]} [enum]
 * @property {Schema[]} [oneOf]
 * @property {Schema[]} [anyOf]
 * @property {Schema[]} [allOf]
 * @property {string} [format]
 * @property {number} [minimum]
 */

/**
 * @param {Schema | undefined} schema
 * @param {number} [depth]
 * @returns {unknown}
 */
export function example(schema, depth = 0) {
  if (!schema || typeof schema !== 'object' || depth > 8) return depth === 0 ? {} : null;
  if ('default' in schema) return schema.default;
  if (schema.examples && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const choice = schema.oneOf?.[0] ?? schema.anyOf?.[0];
  if (choice) return example(choice, depth + 1);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => example(s, depth + 1)));
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t) => t && t !== 'null') ?? (schema.properties ? 'object' : types[0]);
  switch (type) {
    case 'object': {
      /** @type {Record<string, unknown>} */
      const out = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = example(v, depth + 1);
      return out;
    }
    case 'array':
      return schema.items ? [example(schema.items, depth + 1)] : [];
    case 'string':
      return schema.format === 'date-time' ? new Date().toISOString() : '';
    case 'integer':
    case 'number':
      return schema.minimum ?? 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return depth === 0 ? {} : null;
  }
}
