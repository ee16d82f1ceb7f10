// What an endpoint's `request` and `response` may be, and the TypeScript types they stand for:
// a Standard Schema (Zod 4, Valibot, ArkType...), a TypeBox schema, or plain JSON Schema.
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Schema } from '../../registry/registry.ts';

export type { StandardSchemaV1 };

/** A Standard Schema: any object with a `~standard` validator (Zod 4, Valibot, ArkType, Effect...). */
export type StandardSchema = StandardSchemaV1;

/** A TypeBox schema (`@sinclair/typebox`): JSON Schema that carries its TypeScript type as `static`. */
export interface TypedJsonSchema<T = unknown> {
  /** TypeBox's phantom field: never set at run time, read only by the type checker. */
  readonly static: T;
}

/** What `endpoint({ request, response })` takes: a Standard Schema, TypeBox, or plain JSON Schema. */
export type SchemaLike = StandardSchema | Schema;

/** True when a schema says its type (Standard Schema or TypeBox), false for plain JSON Schema. */
export type IsTyped<S> = S extends StandardSchemaV1
  ? true
  : S extends TypedJsonSchema
    ? unknown extends S['static']
      ? false
      : true
    : false;

/** The type a value has after the schema checked it: what a handler receives. */
export type OutputOf<S, Else = unknown> =
  S extends StandardSchemaV1<unknown, infer O>
    ? O
    : S extends TypedJsonSchema<infer T>
      ? unknown extends T
        ? Else
        : T
      : Else;

/** The type a value must have for the schema to accept it: what a caller sends. */
export type InputOf<S, Else = unknown> =
  S extends StandardSchemaV1<infer I, unknown>
    ? I
    : S extends TypedJsonSchema<infer T>
      ? unknown extends T
        ? Else
        : T
      : Else;
