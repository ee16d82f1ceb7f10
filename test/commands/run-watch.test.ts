// `micro run ./svc` (and `micro run -d`) restart a service when its files change: the new process
// serves before the old one stops, so a client calling in a closed loop through the reloads sees
// no failed call; a version that does not compile leaves the old one serving, its error printed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client } from '../../src/runtime/index.ts';
import { micro } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));

const version = (name: string, n: number): string => `
import { createService, endpoint } from 'micro';
import * as z from 'zod';
await createService({ name: '${name}', version: '1.0.0' })
  .handle('Say', {
    Hello: endpoint({ request: z.object({ name: z.string() }) }, async (req) => ({ msg: 'v${n} ' + req.name })),
  })
  .run();
`;

/** Calls Say.Hello one call after another (bounded in count and time), keeping every answer and failure. */
function closedLoop(client: Client, service: string) {
  let last = '';
  let calls = 0;
  let stop = false;
  const failures: string[] = [];
  const waiting: { prefix: string; resolve: () => void }[] = [];
  const done = (async () => {
    const until = Date.now() + 120_000;
    while (!stop && calls < 200_000 && Date.now() < until) {
      calls++;
      try {
        last = (await client.call<{ msg: string }>(service, 'Say.Hello', { name: 'Ann' })).msg;
        for (const w of waiting.filter((w) => last.startsWith(w.prefix))) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      } catch (err) {
        failures.push(String(err));
      }
    }
  })();
  return {
    /** Resolves once an answer comes from version `v` (`v3`). */
    answers: (v: string) =>
      new Promise<void>((resolve) => waiting.push({ prefix: `${v} `, resolve })),
    /** Resolves once `n` more answers have come. */
    more: async (n: number) => {
      for (let i = 0; i < n; i++)
        await new Promise<void>((resolve) => waiting.push({ prefix: '', resolve }));
    },
    last: () => last,
    async end() {
      stop = true;
      await done;
      return { calls, failures };
    },
  };
}

describe('micro run reloads a service when its files change', () => {
  const dir = mkdtempSync(join(tmpdir(), 'micro-reload-'));
  let address = '';
  let client: Client;
  let env: Record<string, string> = {};
  before(async () => {
    address = `127.0.0.1:${await freePort()}`;
    env = {
      MICRO_REGISTRY_ADDRESS: address,
      MICRO_DATA_DIR: join(dir, 'data'),
      MICRO_API: 'false',
    };
    const plane = startNode(bin, ['run', '--web-address', `127.0.0.1:${await freePort()}`], env);
    await plane.waitFor(/runtime\s+127/);
    client = createClient({ registry: createMicroRegistry({ address }) });
  });
  after(async () => {
    await client.close();
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('in the foreground: five reloads under load, no call fails; a broken version leaves the old one serving', async (t) => {
    const file = join(dir, 'fg', 'main.ts');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'fg')));
    writeFileSync(file, version('reloading', 1));
    const run = startNode(bin, ['run', join(dir, 'fg')], {
      ...env,
      MICRO_SERVER_ADDRESS: '127.0.0.1:0',
    });
    await run.waitFor(/listening on/);
    const loop = closedLoop(client, 'reloading');
    await loop.answers('v1');
    const times: number[] = [];
    for (let n = 2; n <= 6; n++) {
      const since = run.lines.length;
      const t0 = performance.now();
      writeFileSync(file, version('reloading', n));
      await loop.answers(`v${n}`);
      times.push(Math.round(performance.now() - t0));
      await run.waitFor(/reloaded in \d+ ms/, 20_000, since);
    }
    t.diagnostic(`change to the new version answering, ms: ${times.join(', ')}`);

    writeFileSync(file, `${version('reloading', 7)}\nconst broken: = ;\n`);
    await run.waitFor(
      /did not start \(it exited \(code 1\) before it registered; its output is above\)[^\n]*serves on/,
      20_000,
    );
    assert.ok(
      run.lines.some((l) => /main\.ts:\d+/.test(l)),
      'the error names the file and line',
    );
    await loop.more(20);
    assert.equal(loop.last(), 'v6 Ann', 'the old version serves on');
    const { calls, failures } = await loop.end();
    assert.deepEqual(failures, [], `${failures.length} of ${calls} calls failed`);
    await run.stop('SIGTERM');
  });

  it('under micro run -d: the supervised service reloads with no failed call, and micro kill ends it', async () => {
    const file = join(dir, 'bg', 'main.ts');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'bg')));
    writeFileSync(file, version('reloading-bg', 1));
    const started = await micro(['run', '-d', join(dir, 'bg'), '--name', 'reloading-bg'], { env });
    assert.equal(started.code, 0, started.stderr);
    const loop = closedLoop(client, 'reloading-bg');
    await loop.answers('v1');
    for (let n = 2; n <= 3; n++) {
      writeFileSync(file, version('reloading-bg', n));
      await loop.answers(`v${n}`);
    }
    const { calls, failures } = await loop.end();
    assert.deepEqual(failures, [], `${failures.length} of ${calls} calls failed`);
    const logs = await micro(['logs', 'reloading-bg', '--file'], { env });
    assert.match(logs.stdout, /micro: reloaded in \d+ ms/);
    const ps = await micro(['ps'], { env });
    assert.match(ps.stdout, /reloading-bg\s+running\s+\d+\s+0\s/, 'a reload is no restart');
    assert.equal((await micro(['kill', 'reloading-bg'], { env })).code, 0);
  });
});
