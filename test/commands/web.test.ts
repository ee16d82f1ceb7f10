// The browser terminal's commands (the CLI's, printed the same way) and `micro web` itself.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTerminal, splitWords } from '../../src/commands/shared/terminal.ts';
import { createClient, type Client } from '../../src/runtime/index.ts';
import type { Terminal } from '../../src/ui/web/index.ts';
import { errorOf, micro, startBench, type Bench } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));

describe('the browser terminal', () => {
  let bench: Bench;
  let client: Client;
  let run: Terminal;
  before(async () => {
    bench = await startBench();
    client = createClient({ registry: bench.registry });
    run = createTerminal({ registry: bench.registry, client });
  });
  after(async () => {
    await client.close();
    await bench.stop();
  });

  it('splits a line as a shell does', () => {
    assert.deepEqual(splitWords(`call greeter Say.Hello '{"name": "Ann Lee"}'`), [
      'call',
      'greeter',
      'Say.Hello',
      '{"name": "Ann Lee"}',
    ]);
    assert.deepEqual(splitWords(`a "b \\"c\\"" d\\ e ''`), ['a', 'b "c"', 'd e', '']);
    assert.throws(() => splitWords(`call 'x`), /unclosed '/);
  });

  it('prints what the CLI prints for list, get, call and health', async () => {
    const flag = bench.flag;
    for (const line of [
      'list services',
      'get service greeter',
      `call greeter Say.Hello '{"name":"Ann"}' -m user=ann`,
      'health greeter',
      'list services -o json',
      'list services --prefix gre --limit 1',
      'list services --contains REETER -o json',
      'list topics',
      'list topics -o json',
    ]) {
      const words = splitWords(line);
      const [mine, cli] = await Promise.all([run(`micro ${line}`), micro([...words, ...flag])]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal(mine.code, 0, mine.output);
      const strip = (s: string) => s.trimEnd().replace(/\d+(\.\d+)? ms/g, 'N ms');
      assert.equal(strip(mine.output), strip(cli.stdout), line);
    }
  });

  it('reports errors as error JSON with exit code 1', async () => {
    const notFound = await run('get service nope');
    assert.equal(notFound.code, 1);
    assert.equal((JSON.parse(notFound.output) as { code: number }).code, 404);
    const bad = await run(`call greeter Say.Hello '{"name":42}'`);
    assert.equal((JSON.parse(bad.output) as { code: number }).code, 400);
    const unclosed = await run(`call greeter Say.Hello '{"name"`);
    assert.match(unclosed.output, /unclosed/);
  });

  it('runs nothing outside the allow-list: no other command, no file reads, no direct address', async () => {
    for (const line of [
      'run ./greeter',
      'kill greeter',
      'new x',
      'deregister service greeter',
      'rm -rf /',
    ]) {
      const r = await run(line);
      assert.equal(r.code, 1, line);
      assert.match(r.output, /is not a command here/, line);
    }
    const file = await run('call greeter Say.Hello -d @/etc/passwd');
    assert.equal(file.code, 1);
    assert.match(file.output, /malformed JSON/, '-d takes JSON, never a file');
    const address = await run(`call greeter Say.Hello --address 127.0.0.1:22`);
    assert.equal(address.code, 1);
    assert.match(address.output, /Unknown option '--address'/);
    assert.match((await run('help')).output, /list services/);
    assert.deepEqual(await run('   '), { output: '', code: 0 });
  });
});

describe('micro web and micro run serve the dashboard', () => {
  after(stopAll);

  it('micro web serves it at --web-address, and says so', async () => {
    const bench = await startBench();
    try {
      const address = `127.0.0.1:${await freePort()}`;
      const web = startNode(bin, ['web', '--web-address', address, ...bench.flag]);
      await web.waitFor(new RegExp(`web dashboard on http://${address.replaceAll('.', '\\.')}/`));
      const res = await fetch(`http://${address}/_/api/services`);
      const { services } = (await res.json()) as { services: { name: string }[] };
      assert.ok(services.some((s) => s.name === 'greeter'));
      assert.equal(await web.stop('SIGINT'), 0);
    } finally {
      await bench.stop();
    }
  });

  it('micro web exits 1 with a 409 when the address is taken', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const { port } = busy.address() as { port: number };
    try {
      const r = await micro(['web', '--web-address', `127.0.0.1:${port}`, '--registry', 'memory']);
      assert.equal(r.code, 1);
      assert.equal(errorOf(r).code, 409);
      assert.match(errorOf(r).detail, /in use \(choose another with --web-address\)/);
    } finally {
      busy.close();
    }
  });

  it('micro run starts it, and keeps running without it when its address is taken', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const { port } = busy.address() as { port: number };
    try {
      const registry = `127.0.0.1:${await freePort()}`;
      const { mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const dataDir = mkdtempSync(`${tmpdir()}/micro-web-`);
      const env = { MICRO_REGISTRY_ADDRESS: registry, MICRO_DATA_DIR: dataDir };
      const webAddress = `127.0.0.1:${await freePort()}`;
      const plane = startNode(bin, ['run'], { ...env, MICRO_WEB_ADDRESS: webAddress });
      await plane.waitFor(new RegExp(`web\\s+${webAddress.replaceAll('.', '\\.')}$`));
      assert.equal((await fetch(`http://${webAddress}/`)).status, 200);
      assert.equal(await plane.stop('SIGINT'), 0, plane.lines.join('\n'));

      const crowded = startNode(bin, ['run', '--web-address', `127.0.0.1:${port}`], env);
      await crowded.waitFor(/web\s+not started: .*in use/);
      await crowded.waitFor(/Press Ctrl-C to stop/);
      assert.equal(await crowded.stop('SIGINT'), 0, crowded.lines.join('\n'));
    } finally {
      busy.close();
    }
  });
});
