import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { errorOf, micro, startBench } from '../helpers/cli.ts';
import { scratchDir, startedForTests } from '../helpers/lifecycle.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));

describe('micro api', () => {
  after(stopAll);
  const bench = startedForTests(startBench);

  it('serves the gateway in front of the registry until Ctrl-C', async () => {
    const api = startNode(bin, [
      'api',
      ...bench().flag,
      '--api-address',
      '127.0.0.1:0',
      '--no-api-log',
    ]);
    const [, address] = await api.waitFor(
      /micro api listening on http:\/\/(\S+) \(registry: micro at /,
    );
    const res = await fetch(`http://${address}/greeter/say/hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Ann"}',
    });
    assert.deepEqual(await res.json(), { msg: 'Hello Ann' });
    assert.equal(await api.stop('SIGINT'), 0);
  });

  it('logs a line per request', async () => {
    const api = startNode(bin, ['api', ...bench().flag], { MICRO_API_ADDRESS: '127.0.0.1:0' });
    const [, address] = await api.waitFor(/listening on http:\/\/(\S+) /);
    await (await fetch(`http://${address}/greeter/say/hello?name=Bo`)).text();
    await api.waitFor(/GET \/greeter\/say\/hello\?name=Bo 200 [\d.]+ms greeter Say\.Hello/);
    await api.stop('SIGINT');
  });

  it('says so when its address is taken', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const run = await micro(['api', ...bench().flag, '--api-address', `127.0.0.1:${port}`]);
      assert.equal(run.code, 1);
      const err = errorOf(run);
      assert.equal(err.code, 409);
      assert.match(err.detail, /is in use; choose another with --api-address/);
    } finally {
      busy.close();
    }
  });
});

describe('micro run', () => {
  after(stopAll);
  const dataDir = scratchDir('micro-run-api-');

  it('serves the API gateway beside the registry and prints where', async () => {
    const env = {
      MICRO_REGISTRY_ADDRESS: '127.0.0.1:0',
      MICRO_DATA_DIR: dataDir,
      MICRO_API_ADDRESS: '127.0.0.1:0',
      MICRO_WEB_ADDRESS: '127.0.0.1:0',
    };
    const plane = startNode(bin, ['run'], env);
    const [, address] = await plane.waitFor(/^ {2}api {8}(127\.0\.0\.1:\d+)$/);
    const res = await fetch(`http://${address}/`);
    assert.equal(((await res.json()) as { name: string }).name, 'micro api');
    const denied = await fetch(`http://${address}/registry/registry/list-services`, {
      method: 'POST',
    });
    assert.equal(denied.status, 404, 'the control plane is not exposed');
    assert.equal(await plane.stop('SIGINT'), 0);
    const without = startNode(bin, ['run', '--no-api'], env);
    await without.waitFor(/Press Ctrl-C/);
    assert.ok(!without.lines.some((l) => /^ {2}api /.test(l)));
    await without.stop('SIGINT');
  });
});
