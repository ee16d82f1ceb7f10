// JSON Schemas as people read and write them: a TypeScript-like type, and a skeleton value to edit.
import type { Schema } from '../runtime/index.ts';

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null;

/** A JSON Schema as a TypeScript-like type: `{ name: string, tags?: string[] }`. */
export function schemaType(schema: Schema | undefined, indent = ''): string {
  if (!schema || Object.keys(schema).length === 0) return 'any';
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in s) return JSON.stringify(s.const);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (Array.isArray(options))
      return options.map((o) => schemaType(isSchema(o) ? o : undefined, indent)).join(' | ');
  }
  if (Array.isArray(s.type)) return s.type.map(String).join(' | ');
  if (s.type === 'array') return `${schemaType(isSchema(s.items) ? s.items : undefined, indent)}[]`;
  if (s.type === 'object' || isSchema(s.properties)) {
    const props = isSchema(s.properties) ? Object.entries(s.properties) : [];
    if (props.length === 0) return 'object';
    const required = new Set(Array.isArray(s.required) ? s.required.map(String) : []);
    const inner = `${indent}  `;
    const fields = props.map(
      ([k, v]) =>
        `${k}${required.has(k) ? '' : '?'}: ${schemaType(isSchema(v) ? v : undefined, inner)}`,
    );
    const oneLine = `{ ${fields.join(', ')} }`;
    if (oneLine.length + indent.length <= 72 && !oneLine.includes('\n')) return oneLine;
    return `{\n${fields.map((f) => `${inner}${f}`).join('\n')}\n${indent}}`;
  }
  if (typeof s.type === 'string') return s.type;
  return JSON.stringify(schema);
}

/**
 * A value of the schema's shape to start editing from: every property present, strings empty,
 * numbers 0, the first of an enum or union, and a schema's default or first example when it has one.
 */
export function skeleton(schema: Schema | undefined, depth = 0): unknown {
  if (!schema || depth > 8) return depth === 0 ? {} : null;
  const s = schema as Record<string, unknown>;
  if ('default' in s) return s.default;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0] ?? null;
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = s[key];
    if (Array.isArray(options) && isSchema(options[0])) return skeleton(options[0], depth + 1);
  }
  const types = Array.isArray(s.type) ? s.type.map(String) : [s.type];
  const type = types.find((t) => t !== 'null') ?? types[0];
  if (type === 'object' || (type === undefined && isSchema(s.properties))) {
    const props = isSchema(s.properties) ? Object.entries(s.properties) : [];
    return Object.fromEntries(
      props.map(([k, v]) => [k, skeleton(isSchema(v) ? v : undefined, depth + 1)]),
    );
  }
  switch (type) {
    case 'string':
      return '';
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'null':
      return null;
    default:
      return depth === 0 ? {} : null;
  }
}
