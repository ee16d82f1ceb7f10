import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStart, parseTime } from '../../src/commands/shared/events.ts';

test('--since, --until and --from take a duration before now as well as a time', () => {
  // An hour before the moment it was read, which lies between these two.
  const before = Date.now();
  const since = parseTime('1h', 'since');
  const after = Date.now();
  assert.ok(since >= before - 3_600_000 && since <= after - 3_600_000, String(since));
  assert.equal(parseTime('2026-12-07T09:00:00Z', 'until'), Date.parse('2026-12-07T09:00:00Z'));
  const from = parseStart('10m');
  assert.ok(from && typeof from === 'object' && 'time' in from && from.time < Date.now() - 599_000);
  assert.deepEqual(parseStart('7'), { offset: 7 });
  assert.throws(
    () => parseTime('soon', 'since'),
    (e: { code: number; detail: string }) =>
      e.code === 400 && /^--since must be a duration .* not "soon"$/.test(e.detail),
  );
});
