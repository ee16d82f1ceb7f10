// Services the CLI runs under a control plane with auth on, with an admin's MICRO_AUTH_TOKEN:
// `micro run -d` (then `micro kill`), `micro run ./svc` in the foreground and an app's services
// (micro.json) each run as the service account of their name; the greeter's answer needs its token
// (its store), its registration its account.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { AuthCalls, callWith, type Answer } from '../helpers/auth-calls.ts';
import { bin, micro } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { scratchDir } from '../helpers/lifecycle.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

const framework = pathToFileURL(join(import.meta.dirname, '../../src/index.ts')).href;

/** A greeter whose answer needs its token (its store) and whose registration needs its account. */
const greeter = `
import { createService } from ${JSON.stringify(framework)};
const service = createService({ name: 'greeter', logger: { info() {}, warn() {}, error() {} } });
service.handle('Say', {
  async Hello(req: { name: string }) {
    await service.store.put('last', req.name);
    return { msg: 'Hello ' + req.name };
  },
});
await service.start();
`;

/** What greeter's Say.Hello answers (found through the registry with the token), or why not. */
async function helloVia(registry: string, token: string): Promise<string> {
  const found = await callWith(
    registry,
    'registry',
    'Registry.GetService',
    { name: 'greeter' },
    token,
  );
  const node = (
    found.body.services as { nodes: { address: string }[] }[] | undefined
  )?.[0]?.nodes.at(-1);
  if (!node) return `not found: ${found.status}`;
  // A node just stopped may be listed still: its refusal is an answer like another.
  const a = await callWith(node.address, 'greeter', 'Say.Hello', { name: 'Ada' }, token).catch(
    (err: Error): Answer => ({ status: 0, body: { error: err.message } }),
  );
  return a.status === 200 ? String(a.body.msg) : `${a.status} ${JSON.stringify(a.body)}`;
}

describe('services the CLI runs under a control plane with auth on', () => {
  after(stopAll);

  it('run as their own accounts: micro run -d, micro run ./svc and an app', async () => {
    const plane = await startTestControlPlane('micro-run-auth-svc-cp-', {
      auth: true,
      supervise: true,
    });
    after(() => plane.stop());
    const admin = await new AuthCalls(plane).admin();
    // A service run under it, supervised or in the foreground, runs as its own account.
    const dir = scratchDir('micro-run-auth-svc-');
    mkdirSync(join(dir, 'greeter'));
    writeFileSync(join(dir, 'greeter', 'main.ts'), greeter);
    const withToken = { MICRO_AUTH_TOKEN: admin, MICRO_REGISTRY_ADDRESS: plane.address };
    const detached = await micro(
      ['run', '-d', join(dir, 'greeter'), '--no-watch', '--wait', '20'],
      {
        env: withToken,
      },
    );
    assert.equal(detached.code, 0, detached.stderr);
    assert.equal(await helloVia(plane.address, admin), 'Hello Ada');
    const killed = await micro(['kill', 'greeter'], { env: withToken });
    assert.equal(killed.code, 0, killed.stderr);
    const foreground = startNode(bin, ['run', join(dir, 'greeter'), '--no-watch'], {
      ...withToken,
      MICRO_DATA_DIR: plane.dataDir,
    });
    let answer = await helloVia(plane.address, admin);
    for (let i = 0; i < 200 && answer !== 'Hello Ada'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await helloVia(plane.address, admin);
    }
    assert.equal(answer, 'Hello Ada', foreground.lines.join('\n'));
    await foreground.stop('SIGINT');
    // And so do an app's services (micro.json).
    writeFileSync(join(dir, 'micro.json'), JSON.stringify({ services: { greeter: {} } }));
    const app = startNode(bin, ['run', dir, '--no-watch'], {
      ...withToken,
      MICRO_DATA_DIR: plane.dataDir,
    });
    answer = await helloVia(plane.address, admin);
    for (let i = 0; i < 200 && answer !== 'Hello Ada'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await helloVia(plane.address, admin);
    }
    assert.equal(answer, 'Hello Ada', app.lines.join('\n'));
    await app.stop('SIGINT');
  });
});
