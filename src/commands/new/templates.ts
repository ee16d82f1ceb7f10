// The files `micro new NAME` writes. Kept as data: no logic here.

const pascal = (name: string): string =>
  name.replace(/(^|[-_.])(\w)/g, (_m, _s, c: string) => c.toUpperCase());

/** The scaffold of a service called `name`, as path -> content. */
export function serviceFiles(name: string): Record<string, string> {
  const topic = `${name}.greetings`;
  return {
    'main.ts': `// ${name}: run it with \`micro run .\`, call it with \`micro call ${name} Say.Hello '{"name":"Ann"}'\`.
import { createService } from 'micro-ts';
import { Say, onGreeting } from './handler.ts';

/** The service. Its type gives callers a typed client: \`client.service<typeof service>('${name}')\`. */
export const service = createService({ name: '${name}', version: '0.1.0' }).handle('Say', Say);
service.subscribe('${topic}', onGreeting);

await service.run();
`,
    'handler.ts': `import { endpoint, type Context } from 'micro-ts';
import * as z from 'zod';

/** Say.Hello's request. */
export const HelloRequest = z.object({ name: z.string().min(1).describe('who to greet') });

/** Say.Hello's response. */
export const HelloResponse = z.object({ msg: z.string() });

/**
 * The Say handler: each member is an endpoint, Say.Hello. The schemas type \`req\` and the answer,
 * check every request (a 400 names what is wrong), and are shown in the registry as JSON Schema.
 */
export const Say = {
  Hello: endpoint({ request: HelloRequest, response: HelloResponse }, async (req) => ({
    msg: \`Hello \${req.name}\`,
  })),
};

/** A message on ${topic}: published messages are checked, not trusted. */
export const Greeting = z.object({ name: z.string().optional() });

/** Runs for each message published to ${topic}. */
export async function onGreeting(message: unknown, ctx: Context): Promise<void> {
  const greeting = Greeting.safeParse(message);
  const name = greeting.success ? (greeting.data.name ?? 'nobody') : 'nobody';
  console.log(\`\${ctx.from ?? 'someone'} greeted \${name}\`);
}
`,
    'handler.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryRegistry, createService, MicroError } from 'micro-ts';
import { Say } from './handler.ts';

test('Say.Hello greets by name, and refuses an empty one', async () => {
  const service = createService({
    name: '${name}',
    address: '127.0.0.1:0',
    registry: createMemoryRegistry(),
    handleSignals: false,
  }).handle('Say', Say);
  await service.start();
  try {
    // The typed client: a wrong field or type here fails \`npm run typecheck\`.
    const say = service.client.service<typeof service>('${name}').Say;
    assert.deepEqual(await say.Hello({ name: 'Ann' }), { msg: 'Hello Ann' });
    await assert.rejects(say.Hello({ name: '' }), (e) => e instanceof MicroError && e.code === 400);
  } finally {
    await service.stop();
  }
});
`,
    'package.json': `${JSON.stringify(
      {
        name,
        version: '0.1.0',
        private: true,
        type: 'module',
        main: 'main.ts',
        scripts: { start: 'micro run .', test: 'micro test', typecheck: 'tsc' },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'es2024',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noUncheckedIndexedAccess: true,
          noEmit: true,
          allowImportingTsExtensions: true,
          erasableSyntaxOnly: true,
          verbatimModuleSyntax: true,
          skipLibCheck: true,
          types: ['node'],
        },
        include: ['*.ts'],
      },
      null,
      2,
    )}\n`,
    'README.md': `# ${name}

A micro service. Say.Hello takes \`{"name": "Ann"}\` and answers \`{"msg": "Hello Ann"}\`;
it also handles messages published to \`${topic}\`.

\`\`\`sh
micro run .                                        # run it (starts micro's registry too if none is running)
micro call ${name} Say.Hello '{"name":"Ann"}'     # call it
micro publish ${topic} '{"name":"Bob"}'   # send it an event
micro test                                         # its tests, on micro's Node (npm test runs it)
\`\`\`

\`micro\` provides the framework and Zod to the service, so it needs no \`npm install\` to run or
test. For types in an editor and \`npm run typecheck\` (\`tsc\`, strict, with \`tsconfig.json\`),
install micro from a checkout of its repository, Zod and Node's types
(\`npm install -D /path/to/micro zod @types/node typescript\`; micro is not on the npm registry).

- \`main.ts\` creates the service and registers the handler and subscriber.
- \`handler.ts\` holds the logic: Zod schemas type each endpoint (\`${pascal('say')}.Hello\`) and check its requests.
- \`handler.test.ts\` calls the handler through a typed client; \`micro test\` fails when no test ran.
`,
  };
}

/** The scaffold of a publisher and a subscriber in one service: Events.Publish sends, the subscriber keeps what arrives. */
export function pubsubFiles(name: string): Record<string, string> {
  const topic = `${name}.events`;
  const base = serviceFiles(name);
  return {
    'main.ts': `// ${name}: publishes to and subscribes to ${topic}. Run it with \`micro run .\`, then
// micro call ${name} Events.Publish '{"id":"1","text":"hi"}' and micro call ${name} Events.Recent '{}'.
import { createService } from 'micro-ts';
import { Events, TOPIC, onEvent } from './handler.ts';

/** The service. Its type gives callers a typed client: \`client.service<typeof service>('${name}')\`. */
export const service = createService({ name: '${name}', version: '0.1.0' }).handle('Events', Events);
// A queue group: with several nodes running, each event reaches one of them.
service.subscribe(TOPIC, onEvent, { queue: '${name}' });

await service.run();
`,
    'handler.ts': `import { endpoint, type Context } from 'micro-ts';
import * as z from 'zod';

/** The topic this service publishes to and subscribes to. */
export const TOPIC = '${topic}';

/** An event on ${topic}. */
export const Event = z.object({ id: z.string().min(1), text: z.string().max(1000) });

/** An event as the subscriber kept it. */
export type Event = z.infer<typeof Event>;

/** The last events the subscriber received, oldest first (at most 100). */
const received: Event[] = [];

/** The Events handler: Events.Publish and Events.Recent. */
export const Events = {
  /** Publishes the event to ${topic}; every subscriber (one per queue group) receives it. */
  Publish: endpoint(
    { request: Event, response: z.object({ published: z.string() }) },
    async (req, ctx) => {
      await ctx.publish(TOPIC, req);
      return { published: req.id };
    },
  ),
  /** The events this node's subscriber has received. */
  Recent: endpoint(
    { request: z.object({}), response: z.object({ events: z.array(Event) }) },
    async () => ({ events: [...received] }),
  ),
};

/** Runs for each message on ${topic}: checked, not trusted, and kept. */
export async function onEvent(message: unknown, ctx: Context): Promise<void> {
  const event = Event.safeParse(message);
  if (!event.success) {
    console.warn(\`ignored a malformed event from \${ctx.from ?? 'someone'}\`);
    return;
  }
  received.push(event.data);
  if (received.length > 100) received.shift();
}
`,
    'handler.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryRegistry, createService } from 'micro-ts';
import { Events, TOPIC, onEvent } from './handler.ts';

test('an event published through Events.Publish reaches the subscriber', async () => {
  const service = createService({
    name: '${name}',
    address: '127.0.0.1:0',
    registry: createMemoryRegistry(),
    handleSignals: false,
  }).handle('Events', Events);
  const arrived = new Promise<void>((resolve) =>
    service.subscribe(TOPIC, async () => resolve(), { queue: 'test-probe' }),
  );
  service.subscribe(TOPIC, onEvent, { queue: '${name}' });
  await service.start();
  try {
    const events = service.client.service<typeof service>('${name}').Events;
    assert.deepEqual(await events.Publish({ id: '1', text: 'hi' }), { published: '1' });
    await arrived;
    const { events: recent } = await events.Recent({});
    assert.deepEqual(recent, [{ id: '1', text: 'hi' }]);
  } finally {
    await service.stop();
  }
});
`,
    'package.json': base['package.json'] as string,
    'tsconfig.json': base['tsconfig.json'] as string,
    'README.md': `# ${name}

A micro service that publishes and subscribes: \`Events.Publish\` takes \`{"id": "1", "text": "hi"}\`
and publishes it to \`${topic}\`; the subscriber (queue group \`${name}\`, so with several nodes one
of them gets each event) keeps the last 100, which \`Events.Recent\` returns.

\`\`\`sh
micro run .
micro call ${name} Events.Publish '{"id":"1","text":"hi"}'
micro publish ${topic} '{"id":"2","text":"from the CLI"}'
micro call ${name} Events.Recent '{}'
micro test
\`\`\`

Zod schemas type and check the requests and the events (\`handler.ts\`); for types in an editor,
\`npm install -D /path/to/micro zod @types/node typescript\` and \`npm run typecheck\`.
`,
  };
}

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

/** The scaffold of a web app: pages on the service's own port, served by the dashboard at /NAME/. */
export function webFiles(name: string): Record<string, string> {
  const base = serviceFiles(name);
  return {
    'main.ts': `// ${name}: a web app. Run it with \`micro run .\` beside \`micro run\`, then open
// http://127.0.0.1:8082/${name}/ (the dashboard serves every web app at /[name]/).
import { createService } from 'micro-ts';
import { Say, pages } from './handler.ts';

/** The service: Say.Hello for programs, and pages for browsers on the same port. */
export const service = createService({
  name: '${name}',
  version: '0.1.0',
  // HTTP requests that are no call are the pages'; the service registers as a web app.
  web: (req, res) => void pages(req, res, (r) => say.Hello(r)),
}).handle('Say', Say);
const say = service.client.service<typeof service>('${name}').Say;

await service.run();
`,
    'handler.ts': `import type { IncomingMessage, ServerResponse } from 'node:http';
import { endpoint, MicroError } from 'micro-ts';
import * as z from 'zod';

/** The Say handler: Say.Hello, which the pages call too. */
export const Say = {
  Hello: endpoint(
    {
      request: z.object({ name: z.string().min(1).max(100) }),
      response: z.object({ msg: z.string() }),
    },
    async (req) => ({ msg: \`Hello \${req.name}\` }),
  ),
};

/** Text made safe to put in HTML. */
const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => \`&#\${c.charCodeAt(0)};\`);

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(\`<!doctype html><title>${name}</title><h1>${name}</h1>\${body}\`);
}

/**
 * The pages: / with a form, and /hello?name=... answered through Say.Hello. Links start with the
 * base path the dashboard sends (X-Micro-Web-Base-Path: /${name}), so they work behind it too.
 */
export async function pages(
  req: IncomingMessage,
  res: ServerResponse,
  hello: (req: { name: string }) => Promise<{ msg: string }>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://app');
  const base = escape(String(req.headers['x-micro-web-base-path'] ?? ''));
  if (req.method !== 'GET') return html(res, 405, '<p>only GET is served here</p>');
  if (url.pathname === '/')
    return html(
      res,
      200,
      \`<form action="\${base}/hello"><input name="name" placeholder="your name"> <button>Say hello</button></form>\`,
    );
  if (url.pathname !== '/hello') return html(res, 404, '<p>no such page</p>');
  try {
    const { msg } = await hello({ name: url.searchParams.get('name') ?? '' });
    html(res, 200, \`<p>\${escape(msg)}</p><a href="\${base}/">again</a>\`);
  } catch (err) {
    const why = err instanceof MicroError ? err.detail : 'something went wrong';
    html(res, err instanceof MicroError && err.code < 500 ? 400 : 500, \`<p>\${escape(why)}</p>\`);
  }
}
`,
    'handler.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryRegistry, createService } from 'micro-ts';
import { Say, pages } from './handler.ts';

test('the pages greet through Say.Hello, and say what is wrong with a bad name', async () => {
  const service = createService({
    name: '${name}',
    address: '127.0.0.1:0',
    registry: createMemoryRegistry(),
    handleSignals: false,
    web: (req, res) => void pages(req, res, (r) => say.Hello(r)),
  }).handle('Say', Say);
  const say = service.client.service<typeof service>('${name}').Say;
  await service.start();
  try {
    const page = (path: string) => fetch(\`http://\${service.server.address}\${path}\`);
    const form = await page('/');
    assert.equal(form.status, 200);
    assert.match(await form.text(), /<form action="\\/hello">/);
    const hello = await page('/hello?name=%3Cb%3EAnn');
    assert.match(await hello.text(), /<p>Hello &#60;b&#62;Ann<\\/p>/);
    const bad = await page('/hello?name=');
    assert.equal(bad.status, 400);
  } finally {
    await service.stop();
  }
});
`,
    'package.json': base['package.json'] as string,
    'tsconfig.json': base['tsconfig.json'] as string,
    'README.md': `# ${name}

A micro web app: pages for browsers and \`Say.Hello\` for programs, on the same port. The service
registers as a web app (\`handler: web\`), so the dashboard serves it at \`/${name}/\`.

\`\`\`sh
micro run .                                      # beside micro run (the dashboard on 127.0.0.1:8082)
open http://127.0.0.1:8082/${name}/
micro call ${name} Say.Hello '{"name":"Ann"}'
micro test
\`\`\`

\`handler.ts\` has the pages and the endpoint; the pages' links start with the base path the
dashboard sends. For types in an editor: \`npm install -D /path/to/micro zod @types/node typescript\`.
`,
  };
}

/** The templates `micro new --template` offers, by name. */
export const TEMPLATES = {
  service: serviceFiles,
  pubsub: pubsubFiles,
  web: webFiles,
  app: appFiles,
} satisfies Record<string, (name: string) => Record<string, string>>;
