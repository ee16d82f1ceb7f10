// `micro list services` and `micro list topics` against a real control plane: the http broker's
// topic:<name> entries are topics, listed apart from the services.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/registry/registry.ts';
import { createService, type Service as MicroService } from '../../src/runtime/index.ts';
import { micro, startBench, type Bench } from '../helpers/cli.ts';
import { quiet } from '../helpers/fixtures.ts';

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
    assert.deepEqual([...new Set(names)], ['greeter', 'notify', 'registry']);

    assert.match(all.stdout, /^topic:events\s+broadcast\s+1$/m);
    assert.match(all.stdout, /^topic:orders\.created\s+workers\s+2$/m);
    const allNames = (JSON.parse(allJson.stdout) as Service[]).map((s) => s.name);
    assert.ok(allNames.includes('topic:events') && allNames.includes('greeter'), allJson.stdout);

    // micro doctor counts services the same way.
    const doctor = await micro(['doctor', ...bench.flag]);
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    assert.match(doctor.stdout, /; 3 services registered$/m);
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
