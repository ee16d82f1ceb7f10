// A supervised service's log file: whole lines with their time, read whole, from a time, or its
// last lines from the end.
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LogWriter, readLog, type LogLine } from '../../src/controlplane/log-file.ts';

const all = async (lines: AsyncIterable<LogLine>): Promise<LogLine[]> => {
  const out: LogLine[] = [];
  for await (const l of lines) out.push(l);
  return out;
};
const texts = (lines: LogLine[]): string[] => lines.map((l) => l.text);

describe('log file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'micro-log-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes whole lines, however the output was cut, and announces each as it is written', async () => {
    const path = join(dir, 'cut.log');
    const seen: string[] = [];
    const log = new LogWriter(path, (l) => seen.push(l.text));
    log.chunk('stdout', Buffer.from('one\ntw'));
    log.chunk('stderr', Buffer.from('err\r\n'));
    log.chunk('stdout', Buffer.from('o\n\nthr'));
    const euro = Buffer.from('€');
    log.chunk('stdout', euro.subarray(0, 1));
    log.chunk('stdout', Buffer.concat([euro.subarray(1), Buffer.from('ee')]));
    log.flush();
    assert.deepEqual(seen, ['one', 'err', 'two', '', 'thr€ee']);
    assert.deepEqual(texts(await all(readLog(path, log.size()))), seen);
    log.close();
  });

  it('reads the last lines across blocks, from a time on, and both', async () => {
    const path = join(dir, 'many.log');
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'é'.repeat(i % 50)}`);
    writeFileSync(
      path,
      lines.map((l, i) => `${new Date(base + i * 1000).toISOString()} ${l}\n`).join(''),
    );
    const end = statSync(path).size;
    assert.deepEqual(texts(await all(readLog(path, end, { tail: 3 }))), lines.slice(-3));
    assert.deepEqual(texts(await all(readLog(path, end, { tail: 4000 }))), lines.slice(-4000));
    assert.deepEqual(texts(await all(readLog(path, end, { tail: 0 }))), []);
    const since = base + 4990 * 1000;
    assert.deepEqual(texts(await all(readLog(path, end, { since }))), lines.slice(4990));
    assert.deepEqual(texts(await all(readLog(path, end, { since, tail: 4 }))), lines.slice(-4));
    assert.deepEqual(texts(await all(readLog(path, end, { since, tail: 40 }))), lines.slice(4990));
    assert.equal((await all(readLog(path, end, { since: base }))).length, 5000);
    const [first] = await all(readLog(path, end));
    assert.deepEqual(first, { time: base, text: lines[0] });
  });

  it('finds the last lines of a huge log without reading it whole', async () => {
    // 1 GiB (sparse): read whole it would not even fit in a string.
    const path = join(dir, 'huge.log');
    writeFileSync(path, '');
    truncateSync(path, 1024 ** 3);
    appendFileSync(path, '\nsecond to last\nlast\n');
    const started = Date.now();
    const got = await all(readLog(path, statSync(path).size, { tail: 2 }));
    assert.deepEqual(texts(got), ['second to last', 'last']);
    assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
  });
});
