// A log record as `micro logs` prints it: coloured by level on a terminal only, every control
// character from the record escaped wherever it is (service, node, message, fields).
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { logLine } from '../../src/commands/shared/log-line.ts';
import type { LogRecord } from '../../src/platform/logs/logs.ts';
import { hasControls } from '../../src/registry/printable.ts';

/** A stream that says it is a colour terminal, as a tty.WriteStream does. */
const terminal = () =>
  Object.assign(new PassThrough(), {
    isTTY: true,
    hasColors: () => true,
    getColorDepth: () => 8,
  }) as unknown as NodeJS.WriteStream;

const at = Date.UTC(2026, 11, 7, 15, 48, 1, 123);

describe('log lines', () => {
  it('colours the level on a terminal, and nothing else; not on a pipe', () => {
    const r: LogRecord = { time: at, service: 'users', level: 'warn', msg: 'slow' };
    assert.equal(
      logLine(r, terminal()),
      '2026-12-07T15:48:01.123Z \u001b[33mWARN \u001b[39m users slow',
    );
    assert.equal(
      logLine({ ...r, level: 'error' }, terminal()),
      '2026-12-07T15:48:01.123Z \u001b[31mERROR\u001b[39m users slow',
    );
    assert.equal(
      logLine(r, new PassThrough() as unknown as NodeJS.WriteStream),
      '2026-12-07T15:48:01.123Z WARN  users slow',
    );
  });

  it('escapes control characters from every part of the record, and keeps it on one line', () => {
    const line = logLine(
      {
        time: at,
        service: 'a\u001b[2Jb',
        node: 'n\u009b1',
        level: 'info',
        msg: 'one\ntwo\u202e',
        fields: { 'k\u0007': 'v\r', list: [1, 'x y'] },
        traceId: '0af7651916cd43dd8448eb211c80319c',
      },
      terminal(),
    );
    const text = line.replace('\u001b[32m', '').replace('\u001b[39m', '');
    assert.ok(!hasControls(text), JSON.stringify(text));
    assert.equal(
      text,
      '2026-12-07T15:48:01.123Z INFO  a\\u001b[2Jb[n\\u009b1] one\\u000atwo\\u202e k\\u0007="v\\r" list=[1,"x y"] trace=0af76519',
    );
  });
});
