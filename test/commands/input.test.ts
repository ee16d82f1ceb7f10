import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatDuration,
  parseDuration,
  parseJson,
  parseMetadata,
  readServices,
} from '../../src/commands/shared/input.ts';
import { schemaType } from '../../src/commands/get.ts';

describe('command input parsing', () => {
  it('reads durations as ms or with a unit, and refuses anything else', () => {
    assert.equal(parseDuration('1500'), 1500);
    assert.equal(parseDuration(250), 250);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('1.5m'), 90_000);
    assert.equal(parseDuration('300ms'), 300);
    assert.equal(parseDuration(undefined), undefined);
    assert.throws(() => parseDuration('soon'), { code: 400, detail: /--timeout "soon"/ });
    assert.equal(formatDuration(60_000), '1m');
    assert.equal(formatDuration(90_000), '1.5m');
    assert.equal(formatDuration(45_000), '45s');
  });

  it('reads metadata pairs, repeated or comma separated, keeping commas inside values', () => {
    assert.deepEqual(parseMetadata(['User=ann', 'trace=a,b']), { user: 'ann', trace: 'a,b' });
    assert.deepEqual(parseMetadata('a=1,b=2'), { a: '1', b: '2' });
    assert.deepEqual(parseMetadata(['empty=']), { empty: '' });
    assert.throws(() => parseMetadata(['user']), { code: 400, detail: /"user" is not k=v/ });
  });

  it('says where malformed JSON came from; blank input is {}', () => {
    assert.deepEqual(parseJson('  \n', 'standard input'), {});
    assert.throws(() => parseJson('{"a":', 'standard input'), {
      id: 'micro.cli',
      code: 400,
      detail: /^malformed JSON in standard input: /,
    });
  });

  it('fills in what a hand-written service record leaves out', async () => {
    const [s] = await readServices({
      argument: '{"name":"ghost","nodes":[{"address":"127.0.0.1:9"}]}',
    });
    assert.deepEqual(s, {
      name: 'ghost',
      version: 'latest',
      metadata: {},
      endpoints: [],
      nodes: [{ id: 'ghost-127.0.0.1:9', address: '127.0.0.1:9', metadata: {} }],
    });
    await assert.rejects(readServices({ argument: '{"name":"x","nodes":[{}]}' }), {
      code: 400,
      detail: /needs an address/,
    });
  });

  it('shows JSON Schemas as readable types', () => {
    assert.equal(
      schemaType({
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' } },
          kind: { enum: ['a', 'b'] },
        },
      }),
      '{ name: string, tags?: string[], kind?: "a" | "b" }',
    );
    assert.equal(schemaType(undefined), 'any');
  });
});
