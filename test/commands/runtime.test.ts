// The runtime service's names and paths, through the real CLI against a real control plane: what
// `micro logs ../../secret` and friends get (they read files outside the data directory).
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '../../src/controlplane/index.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client } from '../../src/runtime/index.ts';
import { errorOf, micro } from '../helpers/cli.ts';
import { quiet } from '../helpers/fixtures.ts';

const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));
const SECRET = 'TOP-SECRET-do-not-print';

describe('runtime service: names and paths', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-runtime-'));
  // The log folder is <work>/data/logs: ../../secret.log from there is <work>/secret.log.
  const dataDir = join(work, 'data');
  let cp: ControlPlane;
  let flag: string[];
  let registry: ReturnType<typeof createMicroRegistry>;
  let client: Client;

  before(async () => {
    writeFileSync(join(work, 'secret.log'), `${SECRET}\n`);
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    writeFileSync(
      join(dataDir, 'logs', 'colored.log'),
      'plain\n\u001b[2J\u001b[31mred\u009b0m\tend\n',
    );
    cp = await startControlPlane({
      address: '127.0.0.1:0',
      dataDir,
      supervise: { command: process.execPath, args: [bin] },
      logger: quiet,
    });
    flag = ['--registry-address', cp.address];
    registry = createMicroRegistry({ address: cp.address });
    client = createClient({ registry });
  });
  after(async () => {
    await client.close();
    await registry.close();
    await cp.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('micro logs ../../secret is a 400 naming the name, and prints nothing of the file', async () => {
    for (const name of ['../../secret', '../data/logs/colored', '/etc/passwd', '..', '.hidden']) {
      const run = await micro(['logs', name, '--file', ...flag]);
      assert.equal(run.code, 1, `${name}: ${run.stdout}`);
      assert.ok(!run.stdout.includes(SECRET) && !run.stderr.includes(SECRET), name);
      const e = errorOf(run);
      assert.equal(e.code, 400, `${name}: ${e.detail}`);
      assert.equal(e.id, 'runtime');
      assert.match(e.detail, /is not a valid name/);
    }
  });

  it('micro kill of a path-like name is a 400, an unknown name a 404', async () => {
    const bad = await micro(['kill', '../../secret', ...flag]);
    assert.equal(errorOf(bad).code, 400);
    const unknown = await micro(['kill', 'nobody', ...flag]);
    assert.equal(errorOf(unknown).code, 404);
  });

  it('micro logs shows control characters in a log as escapes', async () => {
    const run = await micro(['logs', 'colored', '--file', ...flag]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!run.stdout.includes('\u001b') && !run.stdout.includes('\u009b'));
    assert.equal(run.stdout, 'plain\n\\u001b[2J\\u001b[31mred\\u009b0m\tend\n');
  });

  it('micro logs -n reads the last lines of a huge log from its end', async () => {
    // 1 GiB (sparse): read whole it would not even fit in a string.
    const huge = join(dataDir, 'logs', 'huge.log');
    writeFileSync(huge, '');
    truncateSync(huge, 1024 ** 3);
    appendFileSync(huge, '\nsecond to last\nlast\n');
    const run = await micro(['logs', 'huge', '-n', '2', '--file', ...flag]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'second to last\nlast\n');
    const bad = errorOf(await micro(['logs', 'huge', '--tail', '-3', '--file', ...flag]));
    assert.equal(bad.code, 400);
    assert.match(bad.detail, /--tail must be a whole number/);
  });

  it('Runtime.Create refuses bad names, relative or missing paths and foreign variables', async () => {
    const file = join(work, 'svc.ts');
    writeFileSync(file, '');
    const create = (request: unknown) =>
      client.call('runtime', 'Runtime.Create', request).then(
        () => assert.fail('created'),
        (err: { code: number; detail: string }) => err,
      );
    const cases: [unknown, number, RegExp][] = [
      [{ name: '../x', path: file }, 400, /not a valid name/],
      [{ name: 'x'.repeat(300), path: file }, 400, /the limit is 128/],
      [{ name: 'ok', path: 'svc.ts' }, 400, /path must be absolute/],
      [{ name: 'ok', path: join(work, 'nothing.ts') }, 404, /no file at/],
      [{ name: 'ok', path: work }, 400, /is not a file/],
      [{ name: 'ok', path: file, env: { LD_PRELOAD: '/tmp/x.so' } }, 400, /only set MICRO_\*/],
      [null, 400, /must be object/],
      [{ name: 5, path: file }, 400, /must be string/],
    ];
    for (const [request, code, detail] of cases) {
      const e = await create(request);
      assert.equal(e.code, code, `${JSON.stringify(request)?.slice(0, 80)}: ${e.detail}`);
      assert.match(e.detail, detail);
    }
  });

  it('answers 400 for client mistakes in Delete, List and Logs', async () => {
    for (const [endpoint, request] of [
      ['Runtime.Delete', null],
      ['Runtime.Delete', { name: 5 }],
      ['Runtime.Delete', { name: 'a/b' }],
      ['Runtime.List', null],
    ] as const) {
      const e = await client.call('runtime', endpoint, request).then(
        () => assert.fail(`${endpoint} succeeded`),
        (err: { code: number }) => err,
      );
      assert.equal(e.code, 400, `${endpoint} ${JSON.stringify(request)}`);
    }
    const stream = await client.stream<unknown, unknown>('runtime', 'Runtime.Logs');
    stream.send({ name: 7 });
    stream.end();
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      { code: 400 },
    );
  });
});
