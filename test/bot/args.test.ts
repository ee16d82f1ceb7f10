// splitArgs: a command line's words as a chat user types them, JSON and quoted strings kept whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitArgs } from '../../src/bot/args.ts';

describe('splitArgs', () => {
  it('splits on runs of spaces and keeps a JSON object whole', () => {
    assert.deepEqual(splitArgs('call  greeter Say.Hello {"name": "Ann Lee"}'), [
      'call',
      'greeter',
      'Say.Hello',
      '{"name": "Ann Lee"}',
    ]);
  });

  it('keeps nested JSON, arrays and brackets inside strings whole', () => {
    assert.deepEqual(splitArgs('publish t {"a": [1, {"b": "} ]"}], "c": "x\\"y"} end'), [
      'publish',
      't',
      '{"a": [1, {"b": "} ]"}], "c": "x\\"y"}',
      'end',
    ]);
    assert.deepEqual(splitArgs('register [ 1, 2 ]'), ['register', '[ 1, 2 ]']);
  });

  it('keeps a quoted string whole, without its quotes', () => {
    assert.deepEqual(splitArgs(`echo "two words" 'and "three" here' x`), [
      'echo',
      'two words',
      'and "three" here',
      'x',
    ]);
    assert.deepEqual(splitArgs('say "a \\"b\\" c"'), ['say', 'a "b" c']);
    assert.deepEqual(splitArgs('empty ""'), ['empty', '']);
  });

  it('reads the typographic quotes chat clients substitute as straight ones', () => {
    assert.deepEqual(splitArgs('call greeter Say.Hello {\u201cname\u201d: \u201cAnn\u201d}'), [
      'call',
      'greeter',
      'Say.Hello',
      '{"name": "Ann"}',
    ]);
    assert.deepEqual(JSON.parse(splitArgs('x {\u201cname\u201d: \u201cAnn\u201d}')[1]!), {
      name: 'Ann',
    });
  });

  it('runs an unclosed bracket or quote to the end, and gives nothing for blank text', () => {
    assert.deepEqual(splitArgs('call g E {"name": "Ann'), ['call', 'g', 'E', '{"name": "Ann']);
    assert.deepEqual(splitArgs('echo "open quote'), ['echo', 'open quote']);
    assert.deepEqual(splitArgs('   \t '), []);
  });
});
