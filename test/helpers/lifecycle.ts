// What a test file (or describe) holds for all its tests: started before them, gone after them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

/** Starts something before the tests of the enclosing describe (or file) and stops it after them; returns a getter of it. */
export function startedForTests<T extends { stop(): Promise<unknown> }>(
  start: () => Promise<T>,
): () => T {
  let started: T | undefined;
  before(async () => {
    started = await start();
  });
  after(async () => {
    await started?.stop();
  });
  return () => started ?? assert.fail('used before its before() hook ran');
}

/** Starts a server before the tests and stops it after them (see startedForTests); returns its address getter. */
export function serverForTests(
  start: () => Promise<{ address: string; stop(): Promise<unknown> }>,
): () => string {
  const server = startedForTests(start);
  return () => server().address;
}

/** A new empty folder `<tmp>/<prefix>*`, removed after the tests of the enclosing describe (or file). */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
