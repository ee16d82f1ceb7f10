// The files `micro new NAME` writes. Kept as data: no logic here.

const pascal = (name: string): string =>
  name.replace(/(^|[-_.])(\w)/g, (_m, _s, c: string) => c.toUpperCase());

/** The scaffold of a service called `name`, as path -> content. */
export function serviceFiles(name: string): Record<string, string> {
  const topic = `${name}.greetings`;
  return {
    'main.ts': `// ${name}: run it with \`micro run .\`, call it with \`micro call ${name} Say.Hello '{"name":"Ann"}'\`.
import { createService } from 'micro-ts';
import { Say, onGreeting, schemas } from './handler.ts';

const service = createService({ name: '${name}', version: '0.1.0' });

service.handle(new Say(), { endpoints: schemas });
service.subscribe('${topic}', onGreeting);

await service.run();
`,
    'handler.ts': `import type { Context } from 'micro-ts';

export interface HelloRequest {
  name: string;
}

export interface HelloResponse {
  msg: string;
}

/** The Say handler: each method is an endpoint, Say.Hello. */
export class Say {
  async Hello(req: HelloRequest, _ctx?: Context): Promise<HelloResponse> {
    return { msg: \`Hello \${req.name}\` };
  }
}

/** Request and response schemas: advertised in the registry and checked on every call. */
export const schemas = {
  Hello: {
    request: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    response: { type: 'object', properties: { msg: { type: 'string' } } },
  },
};

/** A message on ${topic}. */
export interface Greeting {
  name?: string;
}

/** True for a message shaped as a Greeting: published messages are checked, not trusted. */
export const isGreeting = (message: unknown): message is Greeting =>
  typeof message === 'object' &&
  message !== null &&
  (!('name' in message) || typeof message.name === 'string');

/** Runs for each message published to ${topic}. */
export async function onGreeting(message: unknown, ctx: Context): Promise<void> {
  const name = isGreeting(message) ? (message.name ?? 'nobody') : 'nobody';
  console.log(\`\${ctx.from ?? 'someone'} greeted \${name}\`);
}
`,
    'handler.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Say } from './handler.ts';

test('Say.Hello greets by name', async () => {
  assert.deepEqual(await new Say().Hello({ name: 'Ann' }), { msg: 'Hello Ann' });
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

\`micro\` provides the framework to the service, so it needs no \`npm install\` to run or test. For
types in an editor and \`npm run typecheck\` (\`tsc\`, strict, with \`tsconfig.json\`), install micro
from a checkout of its repository and Node's types
(\`npm install -D /path/to/micro @types/node typescript\`; micro is not on the npm registry).

- \`main.ts\` creates the service and registers the handler and subscriber.
- \`handler.ts\` holds the logic; its methods become endpoints (\`${pascal('say')}.Hello\`).
- \`handler.test.ts\` tests the handler directly; \`micro test\` fails when no test ran.
`,
  };
}
