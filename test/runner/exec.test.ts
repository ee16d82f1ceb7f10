import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/net.ts';

// What `micro run` starts for a service (`micro __exec FILE`), when the service cannot run.
const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'micro-exec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Writes source as the service file `name` and runs `micro __exec` on it to its end (at most 20 s);
 * resolves with its exit code and stderr.
 */
async function exec(
  name: string,
  source: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stderr: string }> {
  const file = join(dir, name);
  writeFileSync(file, source);
  const child = spawn(process.execPath, [bin, '__exec', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

/** The error JSON a failed service printed last on stderr. */
function lastError(stderr: string): { code: number; detail: string } {
  return JSON.parse(stderr.trim().split('\n').at(-1) ?? '') as { code: number; detail: string };
}

describe('micro __exec: what a service imports', () => {
  it('provides micro-ts/proxy and micro-ts/registry, as the package exports them', async () => {
    const { code, stderr } = await exec(
      'gateway.ts',
      [
        "import { createGateway } from 'micro-ts/proxy';",
        "import { createMemoryRegistry } from 'micro-ts/registry';",
        "import { unauthorized } from 'micro';",
        'const registry = createMemoryRegistry();',
        "const gw = await createGateway({ address: '127.0.0.1:0', registry, log: false });",
        'console.error(`ok ${typeof unauthorized} ${gw.address}`);',
        'await gw.close();',
        'await registry.close();',
      ].join('\n'),
    );
    assert.equal(code, 0, stderr);
    assert.match(stderr, /^ok function 127\.0\.0\.1:\d+$/m);
  });
});

describe('micro __exec: a service that cannot run', () => {
  it('exits 1 with the error when its registry does not answer, instead of living on unregistered', async () => {
    const { code, stderr } = await exec(
      'svc.ts',
      "import { createService } from 'micro-ts';\nawait createService({ name: 'lonely' }).run();\n",
      {
        MICRO_REGISTRY: 'micro',
        MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}`,
      },
    );
    assert.equal(code, 1, stderr);
    const err = lastError(stderr);
    assert.equal(err.code, 503);
    assert.match(err.detail, /127\.0\.0\.1/);
  });

  it('exits 1 with a 503 saying how to start the broker when its broker does not answer', async () => {
    const subscriber =
      "const s = createService({ name: 'listener' }).subscribe('orders', () => {});";
    const port = await freePort();
    const source = `import { createService } from 'micro-ts';\n${subscriber}\nawait s.run();\n`;
    const { code, stderr } = await exec('subscriber.ts', source, {
      MICRO_REGISTRY: 'memory',
      MICRO_BROKER: 'redis',
      MICRO_BROKER_ADDRESS: `127.0.0.1:${port}`,
    });
    assert.equal(code, 1, stderr);
    const err = lastError(stderr);
    assert.equal(err.code, 503, err.detail);
    assert.match(err.detail, new RegExp(`no Redis at 127\\.0\\.0\\.1:${port}.*start redis-server`));
  });

  it('shows where the service file is wrong: file, line and the error', async () => {
    const source = 'const ok = 1;\nconst broken = ;\nconsole.log(ok, broken);\n';
    const { code, stderr } = await exec('broken.ts', source);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /broken\.ts:2/, stderr);
    assert.match(stderr, /SyntaxError/);
  });

  it('shows the stack of an error the service throws at start', async () => {
    const { code, stderr } = await exec(
      'throws.ts',
      "function start(): never {\n  throw new Error('boom at startup');\n}\nstart();\n",
    );
    assert.equal(code, 1, stderr);
    assert.match(stderr, /boom at startup/);
    assert.match(stderr, /throws\.ts:2/, stderr);
  });
});
