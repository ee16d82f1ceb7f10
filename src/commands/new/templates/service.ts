// `micro new NAME`: the Zod greeter. Kept as data: no logic here.

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
