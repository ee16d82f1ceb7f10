import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createMemoryRegistry,
  serverStream,
  type Context,
  type Service,
} from '../../src/runtime/index.ts';
import { closeAll, quietService } from '../helpers/fixtures.ts';

const script = fileURLToPath(new URL('./fixtures/framed_client.py', import.meta.url));
const run = promisify(execFile);

/** Runs the Python client (written from docs/protocol.md alone) and parses its one-JSON-per-line output. */
async function python(mode: 'framed' | 'http', address: string): Promise<Map<string, unknown>> {
  const { stdout } = await run('python3', [script, mode, address], { timeout: 30_000 });
  const cases = new Map<string, unknown>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const { case: name, ...rest } = JSON.parse(line) as { case: string };
    cases.set(name, rest);
  }
  return cases;
}

// The protocol document is sufficient if a client in another language, written from it, works.
describe('a Python client written from docs/protocol.md', () => {
  const registry = createMemoryRegistry();
  let service: Service;
  const remotes: string[] = [];

  before(async () => {
    service = quietService({ name: 'protocol-test', registry });
    service.handle('Say', {
      async Hello(req: { name: string }, ctx: Context) {
        ctx.responseMetadata['x-served-by'] = 'protocol-test';
        return { msg: `Hello ${req.name}`, user: ctx.metadata['x-user'] ?? null };
      },
      async Sleep(req: { ms: number; tag: string }, ctx: Context) {
        remotes.push(ctx.remote);
        await new Promise((resolve) => setTimeout(resolve, req.ms));
        return { tag: req.tag };
      },
      async Fail() {
        throw new Error('database exploded');
      },
    });
    service.handle('Count', {
      Up: serverStream(async function* (req: { n: number }) {
        for (let i = 0; i < req.n; i++) yield { i };
      }),
    });
    await service.start();
  });
  after(() => closeAll(service, registry));

  it('speaks the framed protocol: unary, error, server stream, two calls multiplexed', async () => {
    const out = await python('framed', service.server.address);

    assert.deepEqual(out.get('unary'), {
      body: { msg: 'Hello Ann', user: 'ann' },
      metadata: { 'x-served-by': 'protocol-test' },
    });
    assert.deepEqual(out.get('error'), {
      error: {
        id: 'protocol-test',
        code: 500,
        detail: 'database exploded',
        status: 'Internal Server Error',
      },
    });
    assert.deepEqual(out.get('stream'), {
      messages: [{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }],
      ended: true,
    });

    const concurrent = out.get('concurrent') as {
      ids: [number, number];
      slow: unknown;
      fast: unknown;
      arrival: string[];
    };
    assert.notEqual(concurrent.ids[0], concurrent.ids[1]);
    assert.deepEqual(concurrent.slow, { tag: 'slow' });
    assert.deepEqual(concurrent.fast, { tag: 'fast' });
    // The fast call, sent second, was answered first: the two were in flight together.
    assert.deepEqual(concurrent.arrival, ['fast', 'slow']);
    // Both came over the one connection.
    assert.equal(remotes.length, 2);
    assert.equal(remotes[0], remotes[1]);
  });

  it('calls over HTTP with urllib and the Micro-* headers', async () => {
    const out = await python('http', service.server.address);
    assert.deepEqual(out.get('http'), {
      status: 200,
      content_type: 'application/json',
      served_by: 'protocol-test',
      body: { msg: 'Hello Bo', user: 'bo' },
    });
    assert.deepEqual(out.get('http-error'), {
      status: 500,
      content_type: 'application/json',
      body: {
        id: 'protocol-test',
        code: 500,
        detail: 'database exploded',
        status: 'Internal Server Error',
      },
    });
  });
});
