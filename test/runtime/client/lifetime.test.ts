// A client a service's code made for itself (createClient, as a handler might to publish) must not
// keep the process running once the service stops on SIGTERM: `micro kill` waited 10 s for it,
// then killed the process silently.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startBench } from '../../helpers/cli.ts';
import { scratchDir, startedForTests } from '../../helpers/lifecycle.ts';
import { startNode, stopAll } from '../../helpers/proc.ts';

const runtime = new URL('../../../src/runtime/index.ts', import.meta.url).href;

describe('a client the program made itself', () => {
  after(stopAll);
  const bench = startedForTests(startBench);
  const dir = scratchDir('micro-client-life-');

  it('is closed when its service stops on SIGTERM, so the process exits at once', async () => {
    const script = join(dir, 'service.ts');
    writeFileSync(
      script,
      [
        `import { createClient, createService } from '${runtime}';`,
        `const service = createService({ name: 'publisher' });`,
        `await service.start();`,
        `const client = createClient();`,
        `await client.call('greeter', 'Say.Hello', { name: 'Ann' });`,
        `await client.publish('events', { from: 'publisher' });`,
        `console.log('published');`,
        `await service.run();`,
      ].join('\n'),
    );
    const event = bench().nextEvent();
    const child = startNode(script, [], {
      MICRO_REGISTRY: 'micro',
      MICRO_REGISTRY_ADDRESS: bench().controlPlane.address,
      MICRO_SERVER_ADDRESS: '127.0.0.1:0',
    });
    await child.waitFor(/^published$/, 20_000);
    assert.deepEqual(await event, { from: 'publisher' });
    await child.waitFor(/listening on/, 10_000);
    const started = Date.now();
    let killed = false;
    const force = setTimeout(() => {
      killed = true;
      child.proc.kill('SIGKILL');
    }, 5000);
    const code = await child.stop('SIGTERM');
    clearTimeout(force);
    assert.equal(killed, false, `still running ${Date.now() - started} ms after SIGTERM`);
    assert.equal(code, 0);
  });
});
