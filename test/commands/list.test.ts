// `micro list services` and `micro list topics` against a real control plane: the http broker's
// topic:<name> entries are topics, listed apart from the services.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Service } from '../../src/registry/registry.ts';
import { createService, type Service as MicroService } from '../../src/runtime/index.ts';
import { bin, errorOf, micro, startBench, type Bench } from '../helpers/cli.ts';
import { postToRegistry, startTestControlPlane } from '../helpers/control-plane.ts';
import { quiet, record } from '../helpers/fixtures.ts';
import { serverForTests } from '../helpers/lifecycle.ts';

describe('micro list services and topics', () => {
  let bench: Bench;
  const workers: MicroService[] = [];
  before(async () => {
    bench = await startBench();
    // Two nodes of notify share the orders.created topic in the queue group "workers".
    for (let i = 0; i < 2; i++) {
      const notify = createService({
        name: 'notify',
        registry: bench.registry,
        handleSignals: false,
        logger: quiet,
      }).subscribe('orders.created', async () => {}, { queue: 'workers' });
      await notify.start();
      workers.push(notify);
    }
  });
  after(async () => {
    for (const w of workers) await w.stop();
    await bench.stop();
  });

  it('lists services without the topics entries, and with them under --all', async () => {
    const [text, json, all, allJson] = await Promise.all([
      micro(['list', 'services', ...bench.flag]),
      micro(['list', 'services', '-o', 'json', ...bench.flag]),
      micro(['list', 'services', '--all', ...bench.flag]),
      micro(['list', 'services', '-a', '-o', 'json', ...bench.flag]),
    ]);
    for (const run of [text, json, all, allJson]) assert.equal(run.code, 0, run.stderr);
    assert.match(text.stdout, /^greeter\s+1\.0\.0\s+1$/m);
    assert.match(text.stdout, /^notify\s+latest\s+2$/m);
    assert.doesNotMatch(text.stdout, /topic:/, text.stdout);
    const names = (JSON.parse(json.stdout) as Service[]).map((s) => s.name);
    assert.deepEqual(
      [...new Set(names)],
      [
        'audit',
        'auth',
        'config',
        'db',
        'events',
        'greeter',
        'logs',
        'metrics',
        'monitor',
        'notify',
        'registry',
        'store',
        'sync',
        'trace',
      ],
    );

    assert.match(all.stdout, /^topic:events\s+broadcast\s+1$/m);
    assert.match(all.stdout, /^topic:orders\.created\s+workers\s+2$/m);
    const allNames = (JSON.parse(allJson.stdout) as Service[]).map((s) => s.name);
    assert.ok(allNames.includes('topic:events') && allNames.includes('greeter'), allJson.stdout);

    // micro doctor counts services the same way.
    const doctor = await micro(['doctor', ...bench.flag]);
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    assert.match(doctor.stdout, /; 14 services registered$/m);
  });

  it('lists topics: subscribers, queue groups and the services subscribing, as text and JSON', async () => {
    const [text, json] = await Promise.all([
      micro(['list', 'topics', ...bench.flag]),
      micro(['list', 'topics', '--output', 'json', ...bench.flag]),
    ]);
    for (const run of [text, json]) assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(text.stdout.trimEnd().split('\n'), [
      'TOPIC           SUBSCRIBERS  QUEUES   SERVICES',
      'events          1            -        greeter',
      'orders.created  2            workers  notify',
    ]);
    assert.deepEqual(JSON.parse(json.stdout), [
      { topic: 'events', subscribers: 1, queues: [], services: ['greeter'] },
      { topic: 'orders.created', subscribers: 2, queues: ['workers'], services: ['notify'] },
    ]);
  });

  it('says so when no topic has subscribers, and asks what to list', async () => {
    for (const w of workers.splice(0)) await w.stop();
    await bench.greeter.stop();
    const [none, bare] = await Promise.all([
      micro(['list', 'topics', ...bench.flag]),
      micro(['list', ...bench.flag]),
    ]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, 'no topics have subscribers\n');
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /micro list services, or micro list topics/);
  });
});

describe('micro list services, page by page', () => {
  const address = serverForTests(() => startTestControlPlane('micro-list-pages-'));
  const flag = (): string[] => ['--registry-address', address()];
  // 700 names, more than one page of 500, registered out of order.
  const names = Array.from({ length: 700 }, (_, i) => `fleet-${((i * 13) % 700) + 1}`);

  before(async () => {
    const r = createMicroRegistry({ address: address() });
    for (const name of names) await r.register(record(name), { ttl: 600_000 });
    await r.register(record('fleet-2', { version: '1.10.0' }), { ttl: 600_000 });
    await r.register(record('fleet-2', { version: '1.9.0' }), { ttl: 600_000 });
    await r.close();
  });

  /** Requests the control plane's registry service has served so far. */
  const served = async (): Promise<number> =>
    ((await (await postToRegistry(address(), 'Debug.Stats', '{}')).json()) as { requests: number })
      .requests;

  it('prints every service once, in natural order, reading the list in pages', async () => {
    const before = await served();
    const run = await micro(['list', 'services', ...flag()]);
    const requests = (await served()) - before;
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+VERSIONS\s+NODES$/);
    const listed = lines.slice(1).map((l) => l.split(/\s+/)[0]!);
    // The control plane's own services among them.
    const expected = [
      'audit',
      'auth',
      'config',
      'db',
      'events',
      ...Array.from({ length: 700 }, (_, i) => `fleet-${i + 1}`),
      'logs',
      'metrics',
      'monitor',
      'registry',
      'store',
      'sync',
      'trace',
    ];
    assert.deepEqual(listed, expected);
    assert.match(run.stdout, /^fleet-2\s+1\.0\.0, 1\.9\.0, 1\.10\.0\s+3$/m);
    // Two pages of names, and the Debug.Stats call counting them.
    assert.ok(requests >= 3, `${requests} requests`);
    // Columns line up across pages: every row's VERSIONS starts where the header's does.
    const at = lines[0]!.indexOf('VERSIONS');
    for (const l of lines.slice(1)) assert.match(l.slice(at), /^\d|^latest/, l);
  });

  it('prints the same array of full records with -o json, a page at a time', async () => {
    const run = await micro(['list', 'services', '-o', 'json', ...flag()]);
    assert.equal(run.code, 0, run.stderr);
    const list = JSON.parse(run.stdout) as Service[];
    assert.equal(list.length, 714);
    assert.deepEqual(
      list.filter((s) => s.name === 'fleet-2').map((s) => s.version),
      ['1.0.0', '1.9.0', '1.10.0'],
    );
    assert.deepEqual(list.find((s) => s.name === 'fleet-1')!.nodes, record('fleet-1').nodes);
    assert.equal(run.stdout, `${JSON.stringify(list, null, 2)}\n`, 'as JSON.stringify indents it');
  });

  it('filters by --prefix and --contains, and stops after --limit', async () => {
    const [prefixed, contains, json, bad] = await Promise.all([
      micro(['list', 'services', '--prefix', 'fleet-1', '--limit', '5', ...flag()]),
      micro(['list', 'services', '--contains', 'ET-69', ...flag()]),
      micro(['list', 'services', '--prefix', 'fleet-', '--limit', '2', '-o', 'json', ...flag()]),
      micro(['list', 'services', '--limit', '0', ...flag()]),
    ]);
    for (const run of [prefixed, contains, json]) assert.equal(run.code, 0, run.stderr);
    const names = (out: string): string[] =>
      out
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]!);
    assert.deepEqual(names(prefixed.stdout), [
      'fleet-1',
      'fleet-10',
      'fleet-11',
      'fleet-12',
      'fleet-13',
    ]);
    assert.deepEqual(names(contains.stdout), [
      'fleet-69',
      ...Array.from({ length: 10 }, (_, i) => `fleet-69${i}`),
    ]);
    assert.deepEqual(
      (JSON.parse(json.stdout) as Service[]).map((s) => `${s.name}@${s.version}`),
      ['fleet-1@1.0.0', 'fleet-2@1.0.0'],
    );
    assert.equal(bad.code, 1);
    assert.match(errorOf(bad).detail, /--limit must be a whole number above 0/);
  });

  it('says when nothing matches, and stops quietly when its reader goes away (| head)', async () => {
    const none = await micro(['list', 'services', '--contains', 'nomatch', ...flag()]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, 'no service matches\n');
    // `micro list services | head -1`: a reader that closes its end after the first line.
    const child = spawn(process.execPath, [bin, 'list', 'services', '-o', 'json', ...flag()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(stderr, '', 'no stack trace');
    assert.equal(code, 0);
  });

  it('pages any registry the same way, and says when there is nothing', async () => {
    const [none, filtered] = await Promise.all([
      micro(['list', 'services', '--registry', 'memory']),
      micro(['list', 'services', '--prefix', 'nobody', ...flag()]),
    ]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, 'no services registered\n');
    assert.equal(filtered.stdout, 'no service matches\n');
    const empty = await micro(['list', 'services', '--prefix', 'nobody', '-o', 'json', ...flag()]);
    assert.equal(empty.stdout, '[]\n');
  });
});
