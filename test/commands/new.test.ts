// `micro new`: each template scaffolds a service that type-checks strictly with its own
// tsconfig.json against micro's and Zod's types, whose npm test (micro test, on micro's Node,
// failing when none ran) passes, and which starts, registers and answers under micro.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startNode } from '../helpers/proc.ts';
import { startBench } from '../helpers/cli.ts';
import { scratchDir, startedForTests } from '../helpers/lifecycle.ts';
import { assertTypeChecks, installMicro } from '../helpers/typecheck.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const micro = join(root, 'bin/micro.ts');
const { NODE_TEST_CONTEXT: _nested, ...plainEnv } = process.env;

/** Per template: the call that shows it answers, the answer, and its own test's name. */
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
  web: {
    endpoint: 'Say.Hello',
    request: { name: 'Ann' },
    answer: { msg: 'Hello Ann' },
    test: /the pages greet through Say\.Hello/,
  },
} as const;

describe('micro new', () => {
  const work = scratchDir('micro-new-');
  const bench = startedForTests(startBench);

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
        const child = startNode(micro, ['__exec', join(dir(), 'main.ts')], {
          MICRO_REGISTRY_ADDRESS: bench().flag[1] ?? '',
          MICRO_SERVER_ADDRESS: '127.0.0.1:0',
        });
        await child.waitFor(/ listening on /);
        assert.deepEqual(
          await bench().client.call(name, expect.endpoint, expect.request),
          expect.answer,
        );
        const [record] = await bench().registry.getService(name);
        const declared = record?.endpoints.find((e) => e.name === expect.endpoint);
        assert.equal(
          declared?.request?.type,
          'object',
          'the Zod schema is in the registry as JSON Schema',
        );
        if (template === 'web') {
          assert.equal(record?.metadata.handler, 'web', 'registered as a web app');
          const node = record?.nodes[0]?.address ?? '';
          const page = await fetch(`http://${node}/hello?name=Ann`, {
            headers: { 'x-micro-web-base-path': `/${name}` },
          });
          assert.match(await page.text(), new RegExp(`<p>Hello Ann</p><a href="/${name}/">`));
        }
        assert.equal(await child.stop('SIGTERM'), 0);
      });

      it('type-checks strictly (tsc --strict) with its tsconfig.json, micro and Zod installed', () => {
        const config = JSON.parse(readFileSync(join(dir(), 'tsconfig.json'), 'utf8')) as {
          compilerOptions: Record<string, unknown>;
        };
        assert.equal(config.compilerOptions.strict, true);
        // What `npm install -D /path/to/micro zod @types/node` gives the service.
        installMicro(dir());
        assertTypeChecks(dir());
      });
    });
  }

  describe('app NAME', () => {
    const dir = (): string => join(work, 'shop');
    before(() => {
      execFileSync(process.execPath, [micro, 'new', 'app', 'shop'], { cwd: work });
    });

    it('passes its tests: the greeter calls users through the typed client', () => {
      const run = spawnSync(process.execPath, [micro, 'test'], {
        cwd: dir(),
        encoding: 'utf8',
        env: plainEnv,
      });
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /Say\.Hello greets a user by the name users gives/);
    });

    it('runs with micro run: users first, then the greeter, which answers through users', async () => {
      const run = startNode(micro, ['run', dir(), '--no-watch', ...bench().flag], {
        MICRO_SERVER_ADDRESS: '127.0.0.1:0',
      });
      await run.waitFor(/2 services of micro\.json serve/);
      const text = run.lines.join('\n');
      assert.match(text, /micro: users serves\n[\s\S]*micro: greeter serves \(after users\)/);
      assert.deepEqual(await bench().client.call('shop-greeter', 'Say.Hello', { id: '2' }), {
        msg: 'Hello Bo',
      });
      assert.equal(await run.stop('SIGTERM'), 0);
    });

    it('type-checks strictly, both services and their tests', () => {
      installMicro(dir());
      assertTypeChecks(dir());
    });
  });
});
