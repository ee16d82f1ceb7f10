// `micro new`: each template scaffolds a service that type-checks strictly with its own
// tsconfig.json against micro's and Zod's types, whose npm test (micro test, on micro's Node,
// failing when none ran) passes, and which starts, registers and answers under micro.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/runtime/index.ts';
import { startBench, type Bench } from '../helpers/cli.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const micro = join(root, 'bin/micro.ts');
const { NODE_TEST_CONTEXT: _nested, ...plainEnv } = process.env;

/** Per template: the call that shows it answers, and the answer. */
const templates = {
  service: {
    endpoint: 'Say.Hello',
    request: { name: 'Ann' },
    answer: { msg: 'Hello Ann' },
    test: /Say\.Hello greets by name/,
  },
  pubsub: {
    endpoint: 'Events.Publish',
    request: { id: '7', text: 'hi' },
    answer: { published: '7' },
    test: /an event published through Events\.Publish reaches the subscriber/,
  },
} as const;

describe('micro new', () => {
  let work = '';
  let bench: Bench;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'micro-new-'));
    bench = await startBench();
  });
  after(async () => {
    await bench.stop();
    rmSync(work, { recursive: true, force: true });
  });

  for (const [template, expect] of Object.entries(templates)) {
    describe(`--template ${template}`, () => {
      const name = `shop-${template}`;
      const dir = (): string => join(work, name);
      before(() => {
        execFileSync(process.execPath, [micro, 'new', name, '--template', template], { cwd: work });
      });

      it('passes its own tests with micro test (what its npm test runs), with no node_modules', () => {
        const pkg = JSON.parse(readFileSync(join(dir(), 'package.json'), 'utf8')) as {
          scripts: Record<string, string>;
        };
        assert.equal(pkg.scripts.test, 'micro test');
        const run = spawnSync(process.execPath, [micro, 'test'], {
          cwd: dir(),
          encoding: 'utf8',
          env: plainEnv,
        });
        assert.equal(run.status, 0, run.stdout + run.stderr);
        assert.match(run.stdout, expect.test);
        assert.match(run.stdout, /pass 1/);
      });

      it('starts under micro, registers and answers', async () => {
        const child = spawn(process.execPath, [micro, '__exec', join(dir(), 'main.ts')], {
          cwd: dir(),
          env: {
            ...plainEnv,
            MICRO_REGISTRY_ADDRESS: bench.flag[1],
            MICRO_SERVER_ADDRESS: '127.0.0.1:0',
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.setEncoding('utf8');
        const client = createClient({ registry: bench.registry });
        try {
          await new Promise<void>((resolve, reject) => {
            child.stderr.on('data', (c: string) => {
              stderr += c;
              if (stderr.includes(' listening on ')) resolve();
            });
            child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${stderr}`)));
          });
          assert.deepEqual(await client.call(name, expect.endpoint, expect.request), expect.answer);
          const [record] = await bench.registry.getService(name);
          const declared = record?.endpoints.find((e) => e.name === expect.endpoint);
          assert.equal(
            declared?.request?.type,
            'object',
            'the Zod schema is in the registry as JSON Schema',
          );
        } finally {
          await client.close();
          child.kill('SIGTERM');
          if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
        }
      });

      it('type-checks strictly (tsc --strict) with its tsconfig.json, micro and Zod installed', () => {
        const config = JSON.parse(readFileSync(join(dir(), 'tsconfig.json'), 'utf8')) as {
          compilerOptions: Record<string, unknown>;
        };
        assert.equal(config.compilerOptions.strict, true);
        // What `npm install -D /path/to/micro zod @types/node` gives the service.
        mkdirSync(join(dir(), 'node_modules'));
        symlinkSync(root, join(dir(), 'node_modules/micro-ts'));
        symlinkSync(join(root, 'node_modules/@types'), join(dir(), 'node_modules/@types'));
        symlinkSync(join(root, 'node_modules/zod'), join(dir(), 'node_modules/zod'));
        const tsc = spawnSync(
          process.execPath,
          [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir(), '--strict'],
          { encoding: 'utf8' },
        );
        assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
      });
    });
  }
});
