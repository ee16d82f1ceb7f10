import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../../src/registry/registry.ts';
import { buildTools, compilePattern, isWrapped } from '../../../src/proxy/mcp/tools.ts';
import { nameSchema, record } from '../../helpers/fixtures.ts';

const hello = {
  name: 'Say.Hello',
  request: nameSchema,
  response: { type: 'object', properties: { msg: { type: 'string' } } },
  metadata: {},
};
const debug = { name: 'Debug.Health', metadata: {} };
const greeter = (over: Partial<Service> = {}): Service => ({
  ...record('greeter', { endpoints: [hello, debug] }),
  ...over,
});
const names = (list: { tools: readonly { name: string }[] }): string[] =>
  list.tools.map((t) => t.name);

describe('MCP tools from the registry', () => {
  it('makes one tool per endpoint with its schemas, title, scope and a description', () => {
    const { tools, find } = buildTools([greeter()]);
    assert.deepEqual(
      tools.map((t) => t.name),
      ['greeter.Say.Hello'],
    );
    const t = find('greeter.Say.Hello');
    assert.ok(t);
    assert.equal(t.service, 'greeter');
    assert.equal(t.endpoint, 'Say.Hello');
    assert.equal(t.title, 'greeter: Say.Hello');
    assert.equal(t.scope, 'service:greeter:Say.Hello');
    assert.deepEqual(t.inputSchema, nameSchema);
    assert.deepEqual(t.outputSchema, hello.response);
    assert.equal(t.description, 'Calls Say.Hello on greeter');
    assert.equal(t.stream, undefined);
    assert.equal(isWrapped(t), false);
    // The safe form finds the same tool.
    assert.equal(find('greeter_Say_Hello'), t);
    assert.equal(find('greeter.Say.Nope'), undefined);
  });

  it('takes descriptions from metadata, else the request schema', () => {
    const { find } = buildTools([
      record('a', {
        endpoints: [
          { name: 'X.One', metadata: { description: 'Says one thing' } },
          {
            name: 'X.Two',
            request: { ...nameSchema, description: 'From the schema' },
            metadata: {},
          },
        ],
      }),
    ]);
    assert.equal(find('a.X.One')?.description, 'Says one thing');
    assert.equal(find('a.X.Two')?.description, 'From the schema');
  });

  it('keeps control and invisible characters out of descriptions, lines and tabs kept', () => {
    // Terminal escapes (micro mcp docs prints descriptions) and text hidden from the human
    // who approves a tool (a right-to-left override, zero-width characters).
    const description = 'Says\u0000 hi\u001b[2J\u202e\u200b\u2066 to\tyou\r\nline two\u0085';
    const { find } = buildTools([
      record('a', { endpoints: [{ name: 'X.One', metadata: { description } }] }),
    ]);
    assert.equal(find('a.X.One')?.description, 'Says hi[2J to\tyou\nline two');
  });

  it('wraps non-object requests as {value}, drops non-object responses, and keeps $defs at the root', () => {
    const { find } = buildTools([
      record('calc', {
        endpoints: [
          {
            name: 'Num.Double',
            request: { type: 'number' },
            response: { type: 'number' },
            metadata: {},
          },
          { name: 'Any.Thing', request: { description: 'anything' }, metadata: {} },
          { name: 'No.Schema', metadata: {} },
          {
            name: 'Ref.List',
            request: {
              type: 'array',
              items: { $ref: '#/$defs/X' },
              $defs: { X: { type: 'string' } },
            },
            metadata: {},
          },
        ],
      }),
    ]);
    const double = find('calc.Num.Double');
    assert.ok(double);
    assert.deepEqual(double.inputSchema, {
      type: 'object',
      properties: { value: { type: 'number' } },
      required: ['value'],
    });
    assert.equal(isWrapped(double), true);
    assert.equal(double.outputSchema, undefined);
    assert.deepEqual(find('calc.Any.Thing')?.inputSchema, { type: 'object' });
    assert.deepEqual(find('calc.No.Schema')?.inputSchema, { type: 'object' });
    assert.deepEqual(find('calc.Ref.List')?.inputSchema, {
      type: 'object',
      properties: { value: { type: 'array', items: { $ref: '#/$defs/X' } } },
      required: ['value'],
      $defs: { X: { type: 'string' } },
    });
  });

  it('drops the $schema of object schemas (clients validate in their own dialect)', () => {
    const dialect = 'https://json-schema.org/draft/2020-12/schema';
    const { find } = buildTools([
      record('go', {
        endpoints: [
          {
            name: 'A.B',
            request: { $schema: dialect, ...nameSchema },
            response: { $schema: dialect, type: 'object' },
            metadata: {},
          },
        ],
      }),
    ]);
    assert.deepEqual(find('go.A.B')?.inputSchema, nameSchema);
    assert.deepEqual(find('go.A.B')?.outputSchema, { type: 'object' });
  });

  it('gives streams messages arrays and says which kind they are', () => {
    const item = { type: 'object', properties: { i: { type: 'number' } } };
    const { find } = buildTools([
      record('s', {
        endpoints: [
          { name: 'S.Count', request: nameSchema, response: item, metadata: { stream: 'server' } },
          { name: 'S.Sum', request: item, response: item, metadata: { stream: 'client' } },
          { name: 'S.Shout', request: item, response: item, metadata: { stream: 'bidi' } },
        ],
      }),
    ]);
    const count = find('s.S.Count');
    assert.equal(count?.stream, 'server');
    assert.deepEqual(count?.inputSchema, nameSchema);
    assert.deepEqual(count?.outputSchema, {
      type: 'object',
      properties: { messages: { type: 'array', items: item }, truncated: { type: 'boolean' } },
    });
    assert.equal(count?.description, 'Calls S.Count on s (server stream)');
    const sum = find('s.S.Sum');
    assert.equal(sum?.stream, 'client');
    assert.deepEqual(sum?.inputSchema, {
      type: 'object',
      properties: { messages: { type: 'array', items: item } },
    });
    assert.deepEqual(sum?.outputSchema, item);
    assert.equal(find('s.S.Shout')?.stream, 'bidi');
    assert.deepEqual(find('s.S.Shout')?.outputSchema, count?.outputSchema);
  });

  it('takes each endpoint from the newest version that has it, and marks idempotent ones', () => {
    const v1 = record('greeter', {
      version: '1.2.0',
      endpoints: [
        { name: 'Say.Hello', metadata: { description: 'old' } },
        { name: 'Say.Old', metadata: {} },
      ],
    });
    const v2 = record('greeter', {
      version: '1.10.0',
      endpoints: [{ name: 'Say.Hello', metadata: { description: 'new', idempotent: 'true' } }],
    });
    const { tools, find } = buildTools([v2, v1]);
    assert.deepEqual(
      tools.map((t) => t.name),
      ['greeter.Say.Hello', 'greeter.Say.Old'],
    );
    assert.equal(find('greeter.Say.Hello')?.description, 'new');
    assert.deepEqual(find('greeter.Say.Hello')?.annotations, { idempotentHint: true });
    assert.equal(find('greeter.Say.Old')?.annotations, undefined);
  });

  it('hides subscribers, mcp:false, Debug endpoints and the platform services by default', () => {
    const list = buildTools([
      greeter(),
      record('greeter', {
        version: '0.9.0',
        endpoints: [{ name: 'Say.Secret', metadata: { mcp: 'false' } }],
      }),
      record('events-app', { endpoints: [{ name: 'orders', metadata: { subscriber: 'true' } }] }),
      record('quiet', { metadata: { mcp: 'false' }, endpoints: [hello] }),
      record('store', { endpoints: [{ name: 'Store.Get', metadata: {} }] }),
      record('registry', { endpoints: [{ name: 'Registry.ListServices', metadata: {} }] }),
      record('runtime', { endpoints: [{ name: 'Runtime.List', metadata: {} }] }),
    ]);
    assert.deepEqual(names(list), ['greeter.Say.Hello']);
    assert.equal(list.find('greeter.Debug.Health'), undefined);
  });

  it('hides an endpoint one version marks mcp:false, whatever the newest says', () => {
    const list = buildTools([
      greeter({ version: '2.0.0' }),
      record('greeter', {
        version: '1.0.0',
        endpoints: [{ ...hello, metadata: { mcp: 'false' } }],
      }),
    ]);
    assert.deepEqual(names(list), []);
  });

  it('applies deny over allow, and allow brings back hidden ones', () => {
    const all = [
      greeter(),
      record('store', { endpoints: [{ name: 'Store.Get', metadata: {} }] }),
      record('billing', { endpoints: [{ name: 'Pay.Now', metadata: {} }] }),
    ];
    assert.deepEqual(names(buildTools(all, { deny: ['billing.*'] })), ['greeter.Say.Hello']);
    assert.deepEqual(names(buildTools(all, { allow: ['store.*', 'greeter.*'] })), [
      'greeter.Debug.Health',
      'greeter.Say.Hello',
      'store.Store.Get',
    ]);
    assert.deepEqual(names(buildTools(all, { allow: ['*'], deny: ['*.Debug.*', 'store.*'] })), [
      'billing.Pay.Now',
      'greeter.Say.Hello',
    ]);
    // mcp:false wins over allow.
    const off = record('off', { metadata: { mcp: 'false' }, endpoints: [hello] });
    assert.deepEqual(names(buildTools([off], { allow: ['*'] })), []);
  });

  it('matches patterns on whole names, * for any run, everything else literal', () => {
    const p = compilePattern('greeter.*.Hello');
    assert.equal(p('greeter.Say.Hello'), true);
    assert.equal(p('greeter.A.B.Hello'), true);
    assert.equal(p('greeterXSay.Hello'), false);
    assert.equal(p('xgreeter.Say.Hello'), false);
    assert.equal(compilePattern('a+b(c)')('a+b(c)'), true);
    assert.equal(compilePattern('a+b(c)')('aab(c)'), false);
    assert.equal(compilePattern('*')(''), true);
    assert.equal(compilePattern('a*')('a'), true);
    assert.equal(compilePattern('*.Debug.*')('greeter.Debug.Health'), true);
    assert.equal(compilePattern('*.Debug.*')('greeter.Debugger'), false);
    // Many stars against a long name that fails: answered, not backtracked for ages.
    assert.equal(compilePattern(`${'*a'.repeat(100)}*b`)('a'.repeat(5000)), false);
  });
});
