import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client } from '../../src/runtime/index.ts';
import { errorOf, micro, startBench } from '../helpers/cli.ts';
import { record } from '../helpers/fixtures.ts';
import { scratchDir, startedForTests } from '../helpers/lifecycle.ts';
import { assertTypeChecks, installMicro, strictConfig } from '../helpers/typecheck.ts';

const runtime = fileURLToPath(new URL('../../src/runtime/index.ts', import.meta.url));

// A service as another language registers it (the sidecar's apps do the same): schemas with
// nesting, enums, $refs, odd property names, maps, and all four kinds of endpoint.
const inventory = record('inventory-srv', {
  version: '2.0.0',
  endpoints: [
    {
      name: 'Stock.Get',
      request: {
        type: 'object',
        properties: { sku: { type: 'string', description: 'the item */ code' } },
        required: ['sku'],
      },
      response: {
        type: 'object',
        properties: {
          item: { $ref: '#/$defs/Item' },
          'in-stock': { type: 'boolean' },
          counts: { type: 'object', additionalProperties: { type: 'integer' } },
          status: { enum: ['ok', 'low', 'out'] },
        },
        required: ['item', 'status'],
        $defs: {
          Item: {
            type: 'object',
            properties: {
              sku: { type: 'string' },
              tags: { type: 'array', items: { type: 'string' } },
            },
            required: ['sku'],
          },
        },
      },
      metadata: { description: 'One item and how many are left' },
    },
    {
      name: 'Stock.Watch',
      request: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] },
      response: { type: 'object', properties: { left: { type: ['integer', 'null'] } } },
      metadata: { stream: 'server' },
    },
    {
      name: 'Stock.Load',
      request: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
      metadata: { stream: 'client' },
    },
    { name: 'Events.Stock', metadata: { subscriber: 'true', topic: 'stock' } },
  ],
});

// What a user writes against the generated files: it must compile, and each marked line must not.
const usage = (from: string): string => `
import { createClient } from ${JSON.stringify(from)};
import { inventorySrvClient } from './inventory.ts';
import { greeterClient } from './greeter.ts';

export async function use(): Promise<void> {
  const client = createClient();
  const inv = inventorySrvClient(client);
  const got = await inv.Stock.Get({ sku: 'a1' });
  const status: 'ok' | 'low' | 'out' = got.status;
  const tags: string[] | undefined = got.item.tags;
  const inStock: boolean | undefined = got['in-stock'];
  const n: number | undefined = got.counts?.['red'];
  void [status, tags, inStock, n];
  for await (const m of await inv.Stock.Watch({ sku: 'a1' })) void (m.left ?? 0);
  const load = await inv.Stock.Load();
  load.send({ n: 1 });
  // @ts-expect-error a wrong field name
  await inv.Stock.Get({ skew: 'a1' });
  // @ts-expect-error a wrong field type
  await inv.Stock.Get({ sku: 1 });
  // @ts-expect-error a missing field
  await inv.Stock.Get({});
  // @ts-expect-error a wrong endpoint
  await inv.Stock.Put({ sku: 'a1' });
  // @ts-expect-error subscribers are not endpoints
  await inv.Events.Stock({});
  // @ts-expect-error status is one of three strings
  const wrong: 'gone' = got.status;
  void wrong;
  const hello: { msg?: string } = await greeterClient(client).Say.Hello({ name: 'Ann' });
  void hello;
  // @ts-expect-error the greeter's Hello needs a name
  await greeterClient(client).Say.Hello({});
}
`;

describe('micro gen client', () => {
  const bench = startedForTests(async () => {
    const b = await startBench();
    await b.registry.register(inventory);
    return b;
  });
  const dir = scratchDir('micro-gen-');

  it('writes a typed client that type-checks, and rejects wrong calls at compile time', async () => {
    for (const [name, file] of [
      ['inventory-srv', 'inventory.ts'],
      ['greeter', 'greeter.ts'],
    ] as const) {
      const run = await micro(['gen', 'client', name, '--out', join(dir, file), ...bench().flag]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`wrote .*${file}: a typed client of ${name}`));
    }
    const source = readFileSync(join(dir, 'inventory.ts'), 'utf8');
    assert.match(
      source,
      /\/\*\* One item and how many are left \*\//,
      'descriptions become doc comments',
    );
    assert.doesNotMatch(source, /the item \*\/ code/, 'a description cannot end its comment');
    // As the user's project has it: the files import micro-ts, installed beside them.
    writeFileSync(join(dir, 'use.ts'), usage('micro-ts'));
    installMicro(dir);
    strictConfig(dir, ['use.ts']);
    assertTypeChecks(dir);
  });

  it('calls the live service through the generated client', async () => {
    const run = await micro(['gen', 'client', 'greeter', '--from', runtime, ...bench().flag]);
    assert.equal(run.code, 0, run.stderr);
    const file = join(dir, 'printed.ts');
    writeFileSync(file, run.stdout);
    const mod = (await import(pathToFileURL(file).href)) as {
      greeterClient(c: Client): { Say: { Hello(r: { name: string }): Promise<unknown> } };
    };
    assert.deepEqual(await mod.greeterClient(bench().client).Say.Hello({ name: 'Ann' }), {
      msg: 'Hello Ann',
    });
  });

  it('says so, with a 404 and a non-zero exit, for a service that is not registered', async () => {
    const run = await micro(['gen', 'client', 'nope', ...bench().flag]);
    assert.equal(run.code, 1);
    const err = errorOf(run);
    assert.equal(err.code, 404);
    assert.match(err.detail, /nope.*not found|no service named nope/);
  });
});
