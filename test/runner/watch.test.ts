// The source watch behind reloads: a burst of changes arrives once; files saved by replacing them
// (sed -i, editors that write a new file and rename it over the old) keep being seen; node_modules,
// dotfiles and scratch files do not count.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { watchSources } from '../../src/runner/watch.ts';
import { scratchDir } from '../helpers/lifecycle.ts';

describe('watching sources', () => {
  const dir = scratchDir('micro-watch-');
  writeFileSync(join(dir, 'handler.ts'), 'export const v = 1;\n');
  const batches: string[][] = [];
  const waiting: ((files: string[]) => void)[] = [];
  const watch = watchSources(dir, (files) => {
    const w = waiting.shift();
    if (w) w(files);
    else batches.push(files);
  });
  after(() => watch.close());

  /** The next batch of changes; fails after 10 s, so a lost watch fails the test rather than hangs it. */
  const next = (): Promise<string[]> => {
    const queued = batches.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no change seen within 10 s')), 10_000);
      waiting.push((files) => {
        clearTimeout(timer);
        resolve(files);
      });
    });
  };

  it('keeps seeing a file after it was saved by replacing it, as sed -i does', async () => {
    writeFileSync(join(dir, 'sedAb12Cd'), 'export const v = 2;\n');
    renameSync(join(dir, 'sedAb12Cd'), join(dir, 'handler.ts'));
    assert.deepEqual(await next(), ['handler.ts'], "the scratch file's name is not reported");
    appendFileSync(join(dir, 'handler.ts'), '// edited in place\n');
    assert.deepEqual(await next(), ['handler.ts']);
    writeFileSync(join(dir, 'handler.ts.tmp~'), 'x');
    renameSync(join(dir, 'handler.ts.tmp~'), join(dir, 'handler.ts'));
    appendFileSync(join(dir, 'handler.ts'), '// and again\n');
    assert.deepEqual(await next(), ['handler.ts']);
  });

  it('leaves out node_modules, dotfiles and dot-folders', async () => {
    mkdirSync(join(dir, 'node_modules/zod'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/zod/index.js'), '');
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git/HEAD'), '');
    writeFileSync(join(dir, '.env'), '');
    writeFileSync(join(dir, 'main.ts'), '');
    assert.deepEqual(await next(), ['main.ts']);
  });
});
