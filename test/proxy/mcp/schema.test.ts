// Tool schemas from registry schemas, checked as the SDK's client checks structured content: with
// ajv, as a draft-07 validator.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { inputSchemaOf, MAX_SCHEMA, outputSchemaOf } from '../../../src/proxy/mcp/schema.ts';
import type { Schema } from '../../../src/registry/registry.ts';

const valid = (schema: Schema | undefined, value: unknown): boolean =>
  new Ajv({ strict: false }).compile(schema ?? {})(value);

// A tree as Zod writes a recursive root: `#` is the node itself.
const node: Schema = {
  type: 'object',
  properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } },
  required: ['name'],
};

describe('MCP tool schemas', () => {
  it("keeps a wrapped schema's references to itself pointing at it, not at the wrapper", () => {
    const out = outputSchemaOf(node, 'server');
    const good = { messages: [{ name: 'a', children: [{ name: 'b' }] }], truncated: false };
    const bad = { messages: [{ name: 'a', children: [{ nom: 'b' }] }], truncated: false };
    assert.equal(valid(out, good), true);
    assert.equal(valid(out, bad), false);
    const [input] = inputSchemaOf(node, 'bidi');
    assert.equal(valid(input, { messages: [{ name: 'a', children: [{ name: 'b' }] }] }), true);
    assert.equal(valid(input, { messages: [{ name: 'a', children: [{}] }] }), false);
    // A list of trees as a request: wrapped as {value}.
    const [list, wrapped] = inputSchemaOf(
      { type: 'array', items: { $ref: '#/definitions/N' }, definitions: { N: node } },
      'unary',
    );
    assert.equal(wrapped, true);
    assert.equal(valid(list, { value: [{ name: 'a' }] }), true);
    const [tree] = inputSchemaOf(
      { anyOf: [{ type: 'string' }, { type: 'array', items: { $ref: '#' } }] },
      'unary',
    );
    assert.equal(valid(tree, { value: ['a', ['b']] }), true);
    assert.equal(valid(tree, { value: ['a', [1]] }), false);
  });

  it('takes a union of object schemas (a Zod discriminated union) as an object schema', () => {
    const union: Schema = {
      oneOf: [
        { type: 'object', properties: { t: { const: 'a' } }, required: ['t'] },
        {
          type: 'object',
          properties: { t: { const: 'b' }, n: { type: 'number' } },
          required: ['t', 'n'],
        },
      ],
    };
    const [input, wrapped] = inputSchemaOf(union, 'unary');
    assert.equal(wrapped, false);
    assert.equal(input.type, 'object');
    assert.equal(valid(input, { t: 'b', n: 1 }), true);
    assert.equal(valid(input, { t: 'b' }), false);
    const output = outputSchemaOf(union, 'unary');
    assert.equal(output?.type, 'object');
    assert.equal(valid(output, { t: 'a' }), true);
    // A union with a branch that is not an object's stays wrapped.
    const [, mixed] = inputSchemaOf({ anyOf: [{ type: 'object' }, { type: 'string' }] }, 'unary');
    assert.equal(mixed, true);
  });

  it('replaces a schema over MAX_SCHEMA characters by the loosest one of its shape', () => {
    const big: Schema = {
      type: 'object',
      properties: { a: { type: 'string', description: 'x'.repeat(MAX_SCHEMA) } },
    };
    assert.deepEqual(inputSchemaOf(big, 'unary'), [{ type: 'object' }, false]);
    assert.equal(outputSchemaOf(big, 'unary'), undefined);
    const [wrapped, isValue] = inputSchemaOf({ ...big, type: 'array', items: big }, 'unary');
    assert.deepEqual([wrapped.required, isValue], [['value'], true]);
    assert.ok(JSON.stringify(outputSchemaOf(big, 'server')).length < 200);
  });
});
