// The request editor's editing, and the JSON Schema skeleton it starts from.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Key } from 'ink';
import { skeleton } from '../../src/ui/schema.ts';
import { bufferText, editKey, textBuffer, type TextBuffer } from '../../src/ui/tui/text-buffer.ts';
import { steps, visibleRange } from '../../src/ui/tui/layout.ts';

const none: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** Applies key presses: text, or the name of a Key flag. */
function type(
  b: TextBuffer,
  ...presses: (string | { key: keyof Key; input?: string })[]
): TextBuffer {
  for (const p of presses) {
    const next =
      typeof p === 'string'
        ? editKey(b, p, none)
        : editKey(b, p.input ?? '', { ...none, [p.key]: true });
    if (next) b = next;
  }
  return b;
}

describe('request editor', () => {
  it('starts with the cursor in the first empty string of the skeleton', () => {
    const b = type(textBuffer('{\n  "name": "",\n  "tag": ""\n}'), 'Ann');
    assert.equal(bufferText(b), '{\n  "name": "Ann",\n  "tag": ""\n}');
  });

  it('inserts, deletes, joins and splits lines, and moves across them', () => {
    let b = textBuffer('{}');
    b = type(b, { key: 'leftArrow' }, { key: 'return' }, '"a": 1', { key: 'return' });
    assert.equal(bufferText(b), '{\n"a": 1\n}');
    b = type(b, { key: 'backspace' }, { key: 'backspace' });
    assert.equal(bufferText(b), '{\n"a": }');
    b = type(b, { key: 'upArrow' }, { key: 'end' }, { key: 'delete' });
    assert.equal(bufferText(b), '{"a": }');
    b = type(b, { key: 'home' }, { key: 'rightArrow' }, 'x\ny');
    assert.equal(bufferText(b), '{x\ny"a": }');
    assert.deepEqual([b.row, b.col], [1, 1]);
  });

  it('empties on Ctrl-U and leaves other Ctrl keys and Esc to the caller', () => {
    assert.equal(bufferText(type(textBuffer('{"a":1}'), { key: 'ctrl', input: 'u' })), '');
    assert.equal(editKey(textBuffer(''), 's', { ...none, ctrl: true }), undefined);
    assert.equal(editKey(textBuffer(''), '', { ...none, escape: true }), undefined);
  });
});

describe('request skeleton from a JSON Schema', () => {
  it('fills every property with an empty value of its type', () => {
    assert.deepEqual(
      skeleton({
        type: 'object',
        properties: {
          name: { type: 'string' },
          age: { type: 'integer' },
          ok: { type: 'boolean' },
          tags: { type: 'array', items: { type: 'string' } },
          kind: { enum: ['a', 'b'] },
          size: { type: 'number', default: 3 },
          maybe: { type: ['null', 'string'] },
          either: { anyOf: [{ type: 'number' }, { type: 'string' }] },
          inner: { type: 'object', properties: { x: { type: 'number' } } },
        },
      }),
      {
        name: '',
        age: 0,
        ok: false,
        tags: [],
        kind: 'a',
        size: 3,
        maybe: '',
        either: 0,
        inner: { x: 0 },
      },
    );
  });

  it('is {} without a schema', () => {
    assert.deepEqual(skeleton(undefined), {});
    assert.deepEqual(skeleton({}), {});
  });
});

describe('list layout', () => {
  it('keeps the cursor inside the visible window', () => {
    assert.deepEqual(visibleRange(5, 4, 10), { start: 0, end: 5 });
    assert.deepEqual(visibleRange(100, 0, 10), { start: 0, end: 10 });
    assert.deepEqual(visibleRange(100, 50, 10), { start: 45, end: 55 });
    assert.deepEqual(visibleRange(100, 99, 10), { start: 90, end: 100 });
  });

  it('counts every j and k of keys read together', () => {
    assert.equal(steps('jjjk', { upArrow: false, downArrow: false }), 2);
    assert.equal(steps('', { upArrow: true, downArrow: false }), -1);
    assert.equal(steps('jx', { upArrow: false, downArrow: false }), 0);
  });
});
