// An app: micro.json lists two services, greeter depending on users (registered as app-greeter
// and app-users: the test bench has a greeter of its own); `micro run` in its folder
// starts users first (greeter calls it as it starts, so the wrong order would crash it), prefixes
// their output, applies --env, and stops them in reverse order.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '../../src/runtime/index.ts';
import { errorOf, micro, startBench, type Bench } from '../helpers/cli.ts';

const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));

const users = `
import { createService, endpoint } from 'micro';
import * as z from 'zod';
export const service = createService({ name: 'app-users', version: '1.0.0' }).handle('Users', {
  Get: endpoint(
    { request: z.object({ id: z.string() }), response: z.object({ id: z.string(), name: z.string() }) },
    async (req) => ({ id: req.id, name: req.id === '1' ? 'Ann' : 'Bo' }),
  ),
});
await service.run();
`;

const greeter = `
import { createService, endpoint } from 'micro';
import * as z from 'zod';
import type { service as Users } from '../users/main.ts';
const service = createService({ name: 'app-greeter', version: '1.0.0' });
const users = service.client.service<typeof Users>('app-users');
// Called before this service registers: users must already serve.
const first = await users.Users.Get({ id: '1' });
console.log('users answered ' + first.name);
await service
  .handle('Say', {
    Hello: endpoint({ request: z.object({ id: z.string() }) }, async (req) => {
      const user = await users.Users.Get({ id: req.id });
      return { msg: (process.env.GREETING ?? 'Hello') + ' ' + user.name };
    }),
  })
  .run();
`;

describe('micro run with micro.json', () => {
  let bench: Bench;
  let dir: string;
  let client: Client;
  before(async () => {
    bench = await startBench();
    dir = mkdtempSync(join(tmpdir(), 'micro-app-'));
    for (const [name, source] of Object.entries({ users, greeter })) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'main.ts'), source);
    }
    client = createClient({ registry: bench.registry });
  });
  after(async () => {
    await client.close();
    await bench.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the services in dependency order with the environment chosen, and stops them in reverse', async () => {
    writeFileSync(
      join(dir, 'micro.json'),
      JSON.stringify({
        services: {
          greeter: { path: './greeter', depends: ['users'], env: { GREETING: 'Hello' } },
          users: { path: './users' },
        },
        environments: { loud: { services: { greeter: { GREETING: 'HELLO' } } } },
      }),
    );
    const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
    const run = spawn(
      process.execPath,
      [bin, 'run', dir, '--env', 'loud', '--no-watch', ...bench.flag],
      {
        env: { ...env, MICRO_SERVER_ADDRESS: '127.0.0.1:0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    const exited = new Promise<number | null>((r) => run.once('exit', r));
    const printed = (pattern: RegExp): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(stderr)) return;
          run.stderr.off('data', check);
          resolve();
        };
        run.stderr.on('data', check);
        void exited.then(() => reject(new Error(`micro run exited before ${pattern}:\n${stderr}`)));
      });
    run.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    try {
      await printed(/2 services of micro\.json serve/);
      assert.deepEqual(await client.call('app-greeter', 'Say.Hello', { id: '2' }), {
        msg: 'HELLO Bo',
      });
      assert.match(
        stderr,
        /micro: users serves\n[\s\S]*greeter \| users answered Ann\n[\s\S]*micro: greeter serves \(after users\)/,
      );
      assert.match(stderr, /^users {3}\| .* listening on /m, 'output prefixed with the name');
    } finally {
      run.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /stopping greeter\n[\s\S]*stopping users/, 'stopped in reverse order');
  });

  it('refuses a circle of dependencies, naming it, with a 400 and exit code 1', async () => {
    writeFileSync(
      join(dir, 'micro.json'),
      JSON.stringify({
        services: { greeter: { depends: ['users'] }, users: { depends: ['greeter'] } },
      }),
    );
    const run = await micro(['run', dir, ...bench.flag]);
    assert.equal(run.code, 1);
    const err = errorOf(run);
    assert.equal(err.code, 400);
    assert.match(err.detail, /circle: greeter -> users -> greeter/);
  });

  it('refuses an environment the app does not have', async () => {
    writeFileSync(join(dir, 'micro.json'), JSON.stringify({ services: { users: {} } }));
    const run = await micro(['run', dir, '--env', 'prod', ...bench.flag]);
    assert.equal(run.code, 1);
    assert.match(errorOf(run).detail, /no environment prod; it has none/);
  });
});
