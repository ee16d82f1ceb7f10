import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));

// A Zod-typed service as `micro new` writes it, in a folder with no node_modules: the process
// `micro run` starts (`micro __exec FILE`) gives it the Zod the binary ships.
const service = `
import { createService, createMemoryRegistry, endpoint } from 'micro';
import * as z from 'zod';
import { z as z4 } from 'zod/v4';

const greeter = createService({
  name: 'greeter', address: '127.0.0.1:0', registry: createMemoryRegistry(), handleSignals: false,
}).handle('Say', {
  Hello: endpoint(
    { request: z.object({ name: z.string().min(1) }), response: z4.object({ msg: z4.string() }) },
    async (req) => ({ msg: 'Hello ' + req.name }),
  ),
});
await greeter.start();
const say = greeter.client.service<typeof greeter>('greeter').Say;
const ok = await say.Hello({ name: 'Ann' });
const bad = await say.Hello({ name: '' }).catch((e: { code: number }) => e.code);
const [record] = await greeter.registry.getService('greeter');
console.log(JSON.stringify({ ok, bad, schema: record?.endpoints[0]?.request, marker: (z as { marker?: string }).marker ?? null }));
await greeter.stop();
`;

function exec(dir: string): { out: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, [bin, '__exec', join(dir, 'service.ts')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  return {
    out: JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>,
    stderr: r.stderr,
  };
}

describe('the Zod the binary ships', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const folder = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'micro-zod-'));
    dirs.push(d);
    writeFileSync(join(d, 'service.ts'), service);
    return d;
  };

  it("answers `import 'zod'` in a service with no node_modules: validation and the registry's JSON Schema", () => {
    const { out } = exec(folder());
    assert.deepEqual(out.ok, { msg: 'Hello Ann' });
    assert.equal(out.bad, 400);
    assert.deepEqual(out.schema, {
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 } },
      required: ['name'],
    });
    assert.equal(out.marker, null);
  });

  it("leaves a service's own installed zod in charge", () => {
    const dir = folder();
    const pkg = join(dir, 'node_modules', 'zod');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: 'zod',
        type: 'module',
        exports: { '.': './index.js', './v4': './index.js' },
      }),
    );
    // The user's own copy: the real Zod re-exported, with a marker to tell it apart.
    const real = new URL(import.meta.resolve('zod')).pathname;
    writeFileSync(
      join(pkg, 'index.js'),
      `export * from ${JSON.stringify(real)};\nexport const marker = 'own';\n`,
    );
    const { out } = exec(dir);
    assert.equal(out.marker, 'own');
    assert.deepEqual(out.ok, { msg: 'Hello Ann' });
  });
});
