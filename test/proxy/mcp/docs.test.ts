import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toolsMarkdown } from '../../../src/proxy/mcp/docs.ts';
import { buildTools } from '../../../src/proxy/mcp/tools.ts';
import { nameSchema, record } from '../../helpers/fixtures.ts';

/** The fenced JSON blocks of a Markdown text, parsed. */
const blocks = (md: string): unknown[] =>
  [...md.matchAll(/^(`{3,})json\n([\s\S]*?)\n\1$/gm)].map((m): unknown => JSON.parse(m[2] ?? ''));

describe('micro mcp docs (toolsMarkdown)', () => {
  it('documents each tool: name, description, kind, scope and its schemas as JSON', () => {
    const response = { type: 'object', properties: { msg: { type: 'string' } } };
    const { tools } = buildTools([
      record('greeter', {
        endpoints: [
          {
            name: 'Say.Hello',
            request: nameSchema,
            response,
            metadata: { description: 'Greets someone', idempotent: 'true' },
          },
          { name: 'Say.Count', metadata: { stream: 'server' } },
        ],
      }),
    ]);
    const md = toolsMarkdown(tools);
    assert.match(md, /^# MCP tools\n/);
    assert.match(md, /2 tools/);
    assert.match(md, /^## `greeter\.Say\.Hello`$/m);
    assert.match(md, /^> Greets someone$/m);
    assert.match(md, /Scope: `service:greeter:Say\.Hello`/);
    assert.match(md, /Idempotent/);
    assert.match(md, /^## `greeter\.Say\.Count`$/m);
    assert.match(md, /Kind: server stream/);
    // Count's section, then Hello's: input and output schemas each, in that order.
    const count = tools.find((t) => t.name === 'greeter.Say.Count');
    assert.deepEqual(blocks(md), [count?.inputSchema, count?.outputSchema, nameSchema, response]);
    assert.ok(md.endsWith('\n') && !md.endsWith('\n\n'));
  });

  it('says so when there is no tool', () => {
    assert.match(toolsMarkdown([]), /No tool is exposed/);
  });

  it('keeps what a service wrote inside its section', () => {
    const { tools } = buildTools([
      record('odd', {
        endpoints: [
          {
            name: 'A.B',
            request: { type: 'object', description: 'has ``` inside' },
            metadata: { description: 'line one\n# not a heading\n```' },
          },
        ],
      }),
    ]);
    const md = toolsMarkdown(tools);
    assert.equal(md.match(/^#{1,2} /gm)?.length, 2, 'only the title and the tool are headings');
    assert.match(md, /^> # not a heading$/m);
    assert.deepEqual(blocks(md), [tools[0]?.inputSchema]);
  });
});
