// The JSON Schema the registry advertises for a declared schema, so the dashboard, the explorer,
// the gateway's OpenAPI and `micro gen client` see Zod, Valibot, ArkType and TypeBox schemas too.
import type { StandardJSONSchemaV1 } from '@standard-schema/spec';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Schema } from '../../registry/registry.ts';
import { isStandardSchema } from './check.ts';
import type { SchemaLike } from './types.ts';

/** Which side of a schema to describe: what it accepts (requests) or what it gives (responses). */
export type SchemaSide = 'input' | 'output';

/** The JSON Schema draft the registry holds: the one ajv, the dashboard and OpenAPI all read. */
const TARGET = 'draft-07';

/**
 * The JSON Schema for a declared schema: plain JSON Schema and TypeBox as they are; a Standard
 * Schema through its own converter (Standard JSON Schema: Zod 4.2+, ArkType, Valibot wrapped in
 * toStandardJsonSchema), or Valibot's official converter when the service has it installed.
 * Undefined, after telling `warn` why, when the library offers no conversion.
 */
export function toJsonSchema(
  schema: SchemaLike,
  side: SchemaSide,
  warn: (message: string) => void = () => {},
): Schema | undefined {
  // A JSON copy: TypeBox's symbol-keyed marks and anything else that JSON does not carry go.
  if (!isStandardSchema(schema)) return JSON.parse(JSON.stringify(schema)) as Schema;
  const std = schema['~standard'] as Partial<StandardJSONSchemaV1.Props>;
  try {
    const convert = std.jsonSchema?.[side] ?? valibotConverter(std.vendor, schema, side);
    if (convert) return withoutDialect(convert({ target: TARGET }));
    warn(
      `a ${std.vendor} schema has no JSON Schema converter: the registry shows this endpoint without one` +
        (std.vendor === 'valibot'
          ? ' (install @valibot/to-json-schema, or wrap the schema in its toStandardJsonSchema())'
          : ' (Zod 4.2+, ArkType 2.1.28+ and Valibot with @valibot/to-json-schema convert)'),
    );
  } catch (err) {
    warn(
      `the ${std.vendor} schema could not be converted to JSON Schema, so the registry shows this endpoint without one: ${(err as Error).message}`,
    );
  }
  return undefined;
}

function withoutDialect(json: Record<string, unknown>): Schema {
  const { $schema: _dialect, ...rest } = json;
  return rest;
}

type Converter = (options: { target: string }) => Record<string, unknown>;

/** Valibot's own converter, from the service's node_modules, when the schema is plain Valibot. */
function valibotConverter(
  vendor: string | undefined,
  schema: object,
  side: SchemaSide,
): Converter | undefined {
  if (vendor !== 'valibot') return undefined;
  for (const base of [process.argv[1], join(process.cwd(), 'index.js')]) {
    if (!base) continue;
    try {
      const lib = createRequire(base)('@valibot/to-json-schema') as {
        toJsonSchema(
          s: object,
          o: { target: string; typeMode: SchemaSide },
        ): Record<string, unknown>;
      };
      return ({ target }) => lib.toJsonSchema(schema, { target, typeMode: side });
    } catch {
      // not installed beside this base; try the next
    }
  }
  return undefined;
}
