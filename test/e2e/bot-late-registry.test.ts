// `micro bot` started before its control plane: it says so once, answers what it can, and once the
// control plane is up it registers as the service `bot` (seen by `micro bot status`), without a
// restart. Start-up failures that come after connecting do not blame a registry that is up.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startControlPlane } from '../../src/controlplane/index.ts';
import { bin, micro } from '../helpers/cli.ts';
import { quiet } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/net.ts';
import { startNode } from '../helpers/proc.ts';

describe('micro bot before its control plane', () => {
  it('registers as the service bot once the control plane comes up', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'micro-bot-late-'));
    const address = `127.0.0.1:${await freePort()}`;
    const env = { MICRO_REGISTRY_ADDRESS: address };
    const bot = startNode(bin, ['bot'], env);
    try {
      await bot.waitFor(/^stderr: micro bot: not registered as the service bot yet/);
      const cp = await startControlPlane({ address, dataDir, logger: quiet });
      try {
        await bot.waitFor(/^stderr: micro bot: registered as the service bot$/);
        const r = await micro(['bot', 'status', '-o', 'json'], { env });
        assert.equal(r.code, 0, r.stderr);
        const [node] = JSON.parse(r.stdout) as { inputs: { name: string }[] }[];
        assert.deepEqual(
          node?.inputs.map((i) => i.name),
          ['stdin'],
        );
        assert.equal(await bot.stop('SIGTERM'), 0);
      } finally {
        await cp.stop();
      }
    } finally {
      await bot.stop('SIGKILL').catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('says why it cannot start, without blaming a registry that answers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'micro-bot-late-'));
    const cp = await startControlPlane({ address: '127.0.0.1:0', dataDir, logger: quiet });
    try {
      const r = await micro(['bot', '--inputs', 'slack'], {
        env: {
          MICRO_REGISTRY_ADDRESS: cp.address,
          MICRO_BOT_SLACK_APP_TOKEN: 'xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef',
        },
        input: '',
      });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /MICRO_BOT_SLACK_BOT_TOKEN/);
      assert.doesNotMatch(r.stderr, /no answer from the registry/);
    } finally {
      await cp.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
