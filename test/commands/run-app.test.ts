// An app: micro.json lists two services, greeter depending on users (registered as app-greeter
// and app-users: the test bench has a greeter of its own); `micro run` in its folder
// starts users first (greeter calls it as it starts, so the wrong order would crash it), prefixes
// their output, applies --env, and stops them in reverse order.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { errorOf, micro, startBench } from '../helpers/cli.ts';
import { scratchDir, startedForTests } from '../helpers/lifecycle.ts';
import { startNode } from '../helpers/proc.ts';

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
  const bench = startedForTests(startBench);
  const dir = scratchDir('micro-app-');
  before(() => {
    for (const [name, source] of Object.entries({ users, greeter })) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'main.ts'), source);
    }
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
    const run = startNode(bin, ['run', dir, '--env', 'loud', '--no-watch', ...bench().flag], {
      MICRO_SERVER_ADDRESS: '127.0.0.1:0',
    });
    await run.waitFor(/2 services of micro\.json serve/);
    assert.deepEqual(await bench().client.call('app-greeter', 'Say.Hello', { id: '2' }), {
      msg: 'HELLO Bo',
    });
    const started = run.lines.join('\n');
    assert.match(
      started,
      /micro: users serves\n[\s\S]*greeter \| users answered Ann\n[\s\S]*micro: greeter serves \(after users\)/,
    );
    assert.match(
      started,
      /^stderr: users {3}\| .* listening on /m,
      'output prefixed with the name',
    );
    assert.equal(await run.stop('SIGTERM'), 0);
    assert.match(
      run.lines.join('\n'),
      /stopping greeter\n[\s\S]*stopping users/,
      'stopped in reverse order',
    );
  });

  it('refuses a circle of dependencies, naming it, with a 400 and exit code 1', async () => {
    writeFileSync(
      join(dir, 'micro.json'),
      JSON.stringify({
        services: { greeter: { depends: ['users'] }, users: { depends: ['greeter'] } },
      }),
    );
    const run = await micro(['run', dir, ...bench().flag]);
    assert.equal(run.code, 1);
    const err = errorOf(run);
    assert.equal(err.code, 400);
    assert.match(err.detail, /circle: greeter -> users -> greeter/);
  });

  it('refuses --env for a service that is no app, and a path that is not there, naming the service', async () => {
    const single = await micro(['run', join(dir, 'users'), '--env', 'prod', ...bench().flag]);
    assert.equal(single.code, 1);
    assert.match(errorOf(single).detail, /--env prod selects an environment of an app/);
    writeFileSync(
      join(dir, 'micro.json'),
      JSON.stringify({ services: { users: { path: './usres' } } }),
    );
    const typo = await micro(['run', dir, ...bench().flag]);
    assert.equal(typo.code, 1);
    assert.match(
      errorOf(typo).detail,
      /^micro\.json services\.users: \/\S+\/usres does not exist$/,
    );
  });

  it('refuses an environment the app does not have', async () => {
    writeFileSync(join(dir, 'micro.json'), JSON.stringify({ services: { users: {} } }));
    const run = await micro(['run', dir, '--env', 'prod', ...bench().flag]);
    assert.equal(run.code, 1);
    assert.match(errorOf(run).detail, /no environment prod; it has none/);
  });
});
