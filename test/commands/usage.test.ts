import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));
const micro = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('usage errors', () => {
  it('suggests the command a typo meant, and exits 1', () => {
    const r = micro('cal', 'greeter', 'Say.Hello', '{}');
    assert.equal(r.status, 1);
    const e = JSON.parse(r.stderr) as { id: string; code: number; detail: string };
    assert.equal(e.code, 400);
    assert.equal(e.detail, 'Unknown command "cal". Did you mean call? (see micro --help)');
  });

  it('names the mistyped subcommand, not its command', () => {
    const r = micro('store', 'gett', 'a');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Unknown command \\"gett\\"\. Did you mean get\?/);
  });

  it('names a word that is no command at all', () => {
    const r = micro('zzzz');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /"detail":"Unknown command: zzzz \(see micro --help\)"/);
  });
});
