// `micro new NAME -t web`: pages on the service's own port. Kept as data.
import { serviceFiles } from './service.ts';

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
