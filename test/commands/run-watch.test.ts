// `micro run ./svc` restarts the service when its files change: the new process serves before the
// old one stops, so a client calling in a closed loop through five reloads sees no failed call;
// a version that does not compile leaves the old one serving, with its error printed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '../../src/runtime/index.ts';
import { startBench, type Bench } from '../helpers/cli.ts';

const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));

const version = (n: number): string => `
import { createService, endpoint } from 'micro';
import * as z from 'zod';
await createService({ name: 'reloading', version: '1.0.0' })
  .handle('Say', {
    Hello: endpoint({ request: z.object({ name: z.string() }) }, async (req) => ({ msg: 'v${n} ' + req.name })),
  })
  .run();
`;

describe('micro run reloads a service when its files change', () => {
  let bench: Bench;
  let dir: string;
  let client: Client;
  before(async () => {
    bench = await startBench();
    dir = mkdtempSync(join(tmpdir(), 'micro-reload-'));
    client = createClient({ registry: bench.registry });
  });
  after(async () => {
    await client.close();
    await bench.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('through five reloads under load no call fails; a broken version leaves the old one serving', async (t) => {
    writeFileSync(join(dir, 'main.ts'), version(1));
    const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
    const run = spawn(process.execPath, [bin, 'run', dir, ...bench.flag], {
      env: { ...env, MICRO_SERVER_ADDRESS: '127.0.0.1:0' },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    const waiters: { pattern: RegExp; resolve: () => void }[] = [];
    run.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      for (const w of waiters.filter((w) => w.pattern.test(stderr))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
    const printed = (pattern: RegExp): Promise<void> =>
      new Promise((resolve) => waiters.push({ pattern, resolve }));
    const exited = new Promise((r) => run.once('exit', r));
    try {
      await printed(/listening on/);
      // The closed loop: one call after another, every answer kept, bounded in count and time.
      let current = '';
      let calls = 0;
      const failures: string[] = [];
      const seen: { version: string; resolve: () => void }[] = [];
      let stop = false;
      const loop = (async () => {
        const until = Date.now() + 120_000;
        while (!stop && calls < 200_000 && Date.now() < until) {
          calls++;
          try {
            const r = await client.call<{ msg: string }>('reloading', 'Say.Hello', { name: 'Ann' });
            current = r.msg;
            for (const s of seen.filter((s) => r.msg.startsWith(`${s.version} `))) {
              seen.splice(seen.indexOf(s), 1);
              s.resolve();
            }
          } catch (err) {
            failures.push(String(err));
          }
        }
      })();
      const answers = (v: string): Promise<void> =>
        new Promise((resolve) => seen.push({ version: v, resolve }));
      await answers('v1');
      const times: number[] = [];
      for (let n = 2; n <= 6; n++) {
        const t0 = performance.now();
        const reloaded = printed(new RegExp(`reloaded in \\d+ ms[^\\n]*\\n(.|\\n)*`.repeat(n - 1)));
        writeFileSync(join(dir, 'main.ts'), version(n));
        await answers(`v${n}`);
        times.push(Math.round(performance.now() - t0));
        await reloaded;
      }
      t.diagnostic(`change to the new version answering, ms: ${times.join(', ')}`);

      writeFileSync(join(dir, 'main.ts'), `${version(7)}\nconst broken: = ;\n`);
      await printed(
        /did not start \(it exited \(code 1\) before it registered; its output is above\)[^\n]*serves on/,
      );
      assert.match(stderr, /main\.ts:\d+/, 'the error names the file and line');
      const before = calls;
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (calls > before + 20) {
            clearInterval(check);
            resolve();
          }
        }, 10);
      });
      assert.equal(current, 'v6 Ann', 'the old version serves on');
      stop = true;
      await loop;
      assert.deepEqual(failures, [], `${failures.length} of ${calls} calls failed`);
    } finally {
      run.kill('SIGTERM');
      await exited;
    }
  });
});
