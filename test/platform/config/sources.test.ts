import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createMicroConfig } from '../../../src/platform/config/client.ts';
import { createMemoryConfig } from '../../../src/platform/config/memory.ts';
import { createServiceConfig, environmentSource } from '../../../src/platform/config/sources.ts';
import { closedAddress } from '../../helpers/cli.ts';
import { scratchDir } from '../../helpers/lifecycle.ts';

const dir = scratchDir('micro-config-sources-');

/** Resolves with the paths of the next change. */
const nextChange = (config: { onChange(fn: (paths: string[]) => void): () => void }) =>
  new Promise<string[]>((resolve) => {
    const off = config.onChange((paths) => {
      off();
      resolve(paths);
    });
  });

describe('service config sources', () => {
  it('merges defaults, then the file, then MICRO_CONFIG_*, then the control plane, later winning', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ b: 'file', c: 'file', d: 'file', nested: { x: 'file' } }));
    const source = createMemoryConfig();
    await source.set('d', 'plane', { namespace: 'svc' });
    const config = createServiceConfig({
      source,
      namespace: 'svc',
      owned: true,
      defaults: { a: 'code', b: 'code', c: 'code', d: 'code', nested: { x: 'code', y: 'code' } },
      env: {
        MICRO_CONFIG_FILE: file,
        MICRO_CONFIG_ADDRESS: '127.0.0.1:1',
        MICRO_CONFIG: 'memory',
        MICRO_CONFIG_C: 'env',
        MICRO_CONFIG_D: 'env',
        MICRO_CONFIG_NESTED__Y: '{"from":"env"}',
        MICRO_CONFIG_DB__POOL_MAX: '10',
      },
    });
    try {
      await config.ready;
      const value = config.value;
      assert.deepEqual(value, {
        a: 'code',
        b: 'file',
        c: 'env',
        d: 'plane',
        nested: { x: 'file', y: { from: 'env' } },
        db: { pool_max: 10 },
      });
      // A change in the control plane: the same object, updated, with the paths that changed.
      let changed = nextChange(config);
      await source.set('nested.x', 'plane', { namespace: 'svc' });
      assert.deepEqual(await changed, ['nested.x']);
      assert.equal(config.value, value);
      assert.equal(config.get('nested.x'), 'plane');
      // Deleted there, a value falls back to the source below it.
      changed = nextChange(config);
      await source.delete('d', { namespace: 'svc' });
      assert.deepEqual(await changed, ['d']);
      assert.equal(config.get('d'), 'env');
      assert.equal(config.get('no.such', 42), 42);
    } finally {
      await config.close();
    }
  });

  it('reads MICRO_CONFIG_* names as lower-case paths and values as JSON when they parse', () => {
    assert.deepEqual(
      environmentSource({
        MICRO_CONFIG_DB__POOL_MAX: '10',
        MICRO_CONFIG_NAME: 'plain text',
        MICRO_CONFIG_FLAGS: '[1,2]',
        MICRO_CONFIG_FILE: 'x.json',
        MICRO_CONFIG_ADDRESS: '127.0.0.1:8000',
        MICRO_CONFIG_BAD__: '1',
        MICRO_CONFIG: 'etcd',
        OTHER: '1',
      }),
      { db: { pool_max: 10 }, name: 'plain text', flags: [1, 2] },
    );
  });

  it('starts with its own sources when the control plane does not answer', async () => {
    const source = createMicroConfig({ address: await closedAddress(), timeout: 300 });
    const config = createServiceConfig({
      source,
      namespace: 'svc',
      owned: true,
      defaults: { port: 80 },
      env: { MICRO_CONFIG_PORT: '8080' },
    });
    try {
      await config.ready;
      assert.equal(config.get('port'), 8080);
      assert.equal(config.version, 0);
    } finally {
      await config.close();
    }
  });
});
