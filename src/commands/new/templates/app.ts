// `micro new app NAME`: micro.json and two services. Kept as data.
import { serviceFiles } from './service.ts';

/** The scaffold of an app: micro.json and two services, the greeter calling users through the typed client. */
export function appFiles(name: string): Record<string, string> {
  const base = serviceFiles(name);
  const users = `${name}-users`;
  const greeter = `${name}-greeter`;
  return {
    'micro.json': `${JSON.stringify(
      {
        services: {
          users: { path: './users' },
          greeter: { path: './greeter', depends: ['users'], env: { GREETING: 'Hello' } },
        },
        environments: { formal: { services: { greeter: { GREETING: 'Good day' } } } },
      },
      null,
      2,
    )}\n`,
    'users/main.ts': `// ${users}: Users.Get. \`micro run\` in the app's folder starts it before the greeter.
import { createService } from 'micro-ts';
import { Users } from './handler.ts';

/** The service. Its type gives callers a typed client: \`client.service<typeof service>('${users}')\`. */
export const service = createService({ name: '${users}', version: '0.1.0' }).handle('Users', Users);

await service.run();
`,
    'users/handler.ts': `import { endpoint, notFound } from 'micro-ts';
import * as z from 'zod';

/** A user. */
export const User = z.object({ id: z.string(), name: z.string() });

const people: Record<string, z.infer<typeof User>> = {
  '1': { id: '1', name: 'Ann' },
  '2': { id: '2', name: 'Bo' },
};

/** The Users handler: Users.Get. */
export const Users = {
  Get: endpoint({ request: z.object({ id: z.string().min(1) }), response: User }, async (req) => {
    const user = people[req.id];
    if (!user) throw notFound('${users}', \`no user \${req.id}\`);
    return user;
  }),
};
`,
    'greeter/main.ts': `// ${greeter}: Say.Hello greets a user, asking ${users} for the name through its typed client.
import { createService } from 'micro-ts';
import type { service as UsersService } from '../users/main.ts';
import { sayHandler } from './handler.ts';

const service = createService({ name: '${greeter}', version: '0.1.0' });
// Typed by the users service's own declarations: a wrong field or endpoint fails \`npm run typecheck\`.
const users = service.client.service<typeof UsersService>('${users}');

await service.handle('Say', sayHandler(users, process.env.GREETING ?? 'Hello')).run();
`,
    'greeter/handler.ts': `import { endpoint, type ServiceClient } from 'micro-ts';
import * as z from 'zod';
import type { service as UsersService } from '../users/main.ts';

/** The Say handler, calling users through the typed client it is given. */
export function sayHandler(users: ServiceClient<typeof UsersService>, greeting: string) {
  return {
    Hello: endpoint(
      { request: z.object({ id: z.string() }), response: z.object({ msg: z.string() }) },
      async (req) => {
        const user = await users.Users.Get({ id: req.id });
        return { msg: \`\${greeting} \${user.name}\` };
      },
    ),
  };
}
`,
    'greeter/handler.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryRegistry, createService, MicroError } from 'micro-ts';
import { Users } from '../users/handler.ts';
import { sayHandler } from './handler.ts';

test('Say.Hello greets a user by the name users gives, and passes on its 404', async () => {
  const registry = createMemoryRegistry();
  const options = { address: '127.0.0.1:0', registry, handleSignals: false } as const;
  const users = createService({ name: '${users}', ...options }).handle('Users', Users);
  const base = createService({ name: '${greeter}', ...options });
  const greeter = base.handle('Say', sayHandler(base.client.service<typeof users>('${users}'), 'Hi'));
  await users.start();
  await greeter.start();
  try {
    const say = greeter.client.service<typeof greeter>('${greeter}').Say;
    assert.deepEqual(await say.Hello({ id: '1' }), { msg: 'Hi Ann' });
    await assert.rejects(say.Hello({ id: '9' }), (e) => e instanceof MicroError && e.code === 404);
  } finally {
    await greeter.stop();
    await users.stop();
  }
});
`,
    'package.json': base['package.json'] as string,
    'tsconfig.json': (base['tsconfig.json'] as string).replace('"*.ts"', '"**/*.ts"'),
    'README.md': `# ${name}

A micro app of two services: \`${users}\` (Users.Get) and \`${greeter}\` (Say.Hello), which asks
users for the name through a typed client. \`micro.json\` lists them: \`micro run\` in this folder
starts users, then the greeter once users serves, prefixes their output with their names, reloads
each when its files change, and stops them in reverse order on Ctrl-C.

\`\`\`sh
micro run .                                          # both services (--env formal: "Good day")
micro call ${greeter} Say.Hello '{"id":"1"}'      # {"msg": "Hello Ann"}
micro test                                           # the tests of both
\`\`\`

For types in an editor and \`npm run typecheck\`: \`npm install -D /path/to/micro zod @types/node typescript\`.
`,
  };
}
