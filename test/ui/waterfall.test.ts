import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpanRecord } from '../../src/platform/trace/trace.ts';
import { bar, spanTime, waterfall } from '../../src/ui/waterfall.ts';

const span = (
  spanId: string,
  start: number,
  duration: number,
  parentSpanId?: string,
): SpanRecord => ({
  traceId: 'f'.repeat(32),
  spanId,
  ...(parentSpanId && { parentSpanId }),
  name: spanId,
  kind: 'server',
  service: 's',
  start,
  duration,
  status: 'unset',
  attributes: {},
});

describe('waterfall', () => {
  it('orders spans as a tree, children by start, with depth and offset', () => {
    const w = waterfall([
      span('c2', 130, 5, 'root'),
      span('root', 100, 50),
      span('c1', 110, 10, 'root'),
      span('g1', 112, 3, 'c1'),
    ]);
    assert.deepEqual(
      w.rows.map((r) => [r.span.spanId, r.depth, r.offset]),
      [
        ['root', 0, 0],
        ['c1', 1, 10],
        ['g1', 2, 12],
        ['c2', 1, 30],
      ],
    );
    assert.equal(w.start, 100);
    assert.equal(w.duration, 50);
  });

  it('shows a span whose parent is not kept as a root, and survives a cycle of parents', () => {
    const w = waterfall([span('a', 0, 1, 'b'), span('b', 1, 1, 'a'), span('x', 2, 1, 'gone')]);
    assert.deepEqual(w.rows.map((r) => r.span.spanId).sort(), ['a', 'b', 'x']);
    assert.equal(w.rows.find((r) => r.span.spanId === 'x')?.depth, 0);
    assert.deepEqual(waterfall([]).rows, []);
  });

  it('draws bars placed and scaled, at least one cell wide', () => {
    assert.equal(bar(0, 40, 40, 8), '████████');
    assert.equal(bar(20, 10, 40, 8), '    ██  ');
    assert.equal(bar(39.9, 0, 40, 8), '       █');
    assert.equal(bar(0, 0, 0, 4), '█   ');
    assert.equal(spanTime(0.4242), '0.42ms');
    assert.equal(spanTime(1250), '1.25s');
    assert.equal(spanTime(125_000), '2m05s');
  });
});
