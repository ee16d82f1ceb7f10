import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closedAddress, errorOf, micro } from '../helpers/cli.ts';

test('a number option that is not a number is a 400 quoting what was typed', async () => {
  const at = ['--registry-address', await closedAddress()];
  const cases: [string[], RegExp][] = [
    [['events', 'subscribe', 't', '--count', 'abc'], /^--count must be a number, not "abc"$/],
    [['events', 'replay', 't', '--from=x1'], /^--from must be a number, not "x1"$/],
    [['db', 'query', 'users', '--limit', 'ten'], /^--limit must be a number, not "ten"$/],
  ];
  for (const [args, detail] of cases) {
    const run = await micro([...args, ...at]);
    assert.equal(run.code, 1, run.stderr);
    const e = errorOf(run);
    assert.equal(e.code, 400);
    assert.match(e.detail, detail);
  }
});
