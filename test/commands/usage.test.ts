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
    assert.match(r.stderr, /^Unknown command "cal"\. Did you mean call\?$/m);
    assert.match(r.stderr, /Run "micro --help" for usage\./);
  });

  it('names a word that is no command at all', () => {
    const r = micro('zzzz');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^Unknown command: zzzz$/m);
  });
});
