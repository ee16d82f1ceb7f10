import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { frameworkSource } from '../../src/runner/framework-hook.ts';
import { greeterSource } from '../helpers/greeter-source.ts';

const hook = new URL('../../src/runner/framework-hook.ts', import.meta.url).href;
const runtime = new URL('../../src/runtime/index.ts', import.meta.url).href;

// A service as a user writes it, in a folder with no node_modules anywhere above it.
const service = greeterSource({
  imports: [
    "import { createService, createMemoryRegistry, endpoint, MicroError, type Service } from 'micro-ts';",
    "import * as short from 'micro';",
    "import { greeting } from './greeting.ts';",
  ].join('\n'),
  msg: 'greeting(req.name)',
  body: `const rsp = await service.client.call<{ msg: string }>('greeter', 'Say.Hello', { name: 'Ann' });
const err: unknown = await service.client.call('greeter', 'Say.Nope', {}).catch((e: unknown) => e);
console.log(JSON.stringify({
  rsp,
  sameModule: short.createService === createService,
  errorIsMicroError: err instanceof MicroError,
}));`,
});

const cjsService = `
const micro = require('micro-ts');
const runtime = require(${JSON.stringify(new URL(runtime).pathname)});
module.exports = { same: micro.createService === runtime.createService };
`;

/** Runs `node main.ts` in dir, where main.ts optionally provides the framework, then imports file. */
function runWith(dir: string, file: string, provide: boolean): ReturnType<typeof spawnSync> {
  writeFileSync(
    join(dir, 'main.ts'),
    [
      `import { pathToFileURL } from 'node:url';`,
      `import { provideFramework } from ${JSON.stringify(hook)};`,
      `import * as runtime from ${JSON.stringify(runtime)};`,
      provide ? 'provideFramework(runtime);' : '',
      `const m = await import(pathToFileURL(${JSON.stringify(join(dir, file))}).href);`,
      `if (m.default) console.log(JSON.stringify(m.default));`,
    ].join('\n'),
  );
  return spawnSync(process.execPath, [join(dir, 'main.ts')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('provideFramework', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'micro-hook-'));
    writeFileSync(join(dir, 'service.ts'), service);
    writeFileSync(
      join(dir, 'greeting.ts'),
      'export const greeting = (name: string): string => `Hello ${name}`;\n',
    );
    writeFileSync(join(dir, 'service.cts'), cjsService);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("lets a TypeScript service import the framework from 'micro-ts' and 'micro' with no node_modules", () => {
    const r = runWith(dir, 'service.ts', true);
    assert.equal(r.status, 0, String(r.stderr));
    const out = JSON.parse(String(r.stdout).trim().split('\n').pop() ?? '') as unknown;
    assert.deepEqual(out, {
      rsp: { msg: 'Hello Ann' },
      sameModule: true,
      errorIsMicroError: true,
    });
  });

  it("answers require('micro-ts') from CommonJS with the binary's own runtime", () => {
    const r = runWith(dir, 'service.cts', true);
    assert.equal(r.status, 0, String(r.stderr));
    assert.deepEqual(JSON.parse(String(r.stdout).trim()), { same: true });
  });

  it('is what makes the import work: without it the service cannot find micro-ts', () => {
    const r = runWith(dir, 'service.ts', false);
    assert.notEqual(r.status, 0);
    assert.match(String(r.stderr), /Cannot find package 'micro-ts'/);
  });

  it('re-exports every key, including names that are not identifiers', async () => {
    const source = frameworkSource(['createService', 'default', 'not-an-identifier']);
    (globalThis as Record<symbol, unknown>)[Symbol.for('micro.framework.runtime')] = {
      createService: 1,
      default: 2,
      'not-an-identifier': 3,
    };
    const m = (await import(`data:text/javascript,${encodeURIComponent(source)}`)) as Record<
      string,
      unknown
    >;
    assert.deepEqual({ ...m }, { createService: 1, default: 2, 'not-an-identifier': 3 });
  });
});
