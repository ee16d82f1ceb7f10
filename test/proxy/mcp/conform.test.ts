// Answers held against their tool's output schema: extra fields of strict objects dropped (as
// Zod's parse drops them), a mismatch named; what the official SDK client then accepts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { conform } from '../../../src/proxy/mcp/conform.ts';
import type { ObjectSchema } from '../../../src/proxy/mcp/mcp.ts';

// As z.object({ n: z.number(), inner: z.object({ a: z.string() }) }) gives it.
const strict: ObjectSchema = {
  type: 'object',
  properties: {
    n: { type: 'number' },
    inner: {
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['a'],
      additionalProperties: false,
    },
  },
  required: ['n'],
  additionalProperties: false,
};

describe('an answer held against its output schema', () => {
  it('drops the fields a strict object does not declare, at every depth, so SDK clients accept it', () => {
    const held = conform(strict, { n: 1, internal: 'leak', inner: { a: 'x', more: 2 } });
    assert.deepEqual(held, { value: { n: 1, inner: { a: 'x' } } });
    const check = new AjvJsonSchemaValidator().getValidator(strict);
    assert.equal(check((held as { value: unknown }).value).valid, true);
  });

  it('names the first mismatch of a wrong type or a missing field', () => {
    assert.deepEqual(conform(strict, { n: 'one' }), { mismatch: '/n must be number' });
    assert.deepEqual(conform(strict, {}), { mismatch: "/ must have required property 'n'" });
  });

  it('lets an answer through when the schema cannot be compiled', () => {
    const odd = { type: 'object', properties: { a: { $ref: '#/nowhere' } } } as ObjectSchema;
    assert.deepEqual(conform(odd, { a: 1 }), { value: { a: 1 } });
  });
});
