import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commands } from '../../src/commands/index.ts';
import type { Service } from '../../src/registry/registry.ts';
import { closedAddress, errorOf, micro, startBench, type Bench } from '../helpers/cli.ts';

describe('micro list, get, health, stats, register, doctor against a real control plane', () => {
  let bench: Bench;
  before(async () => {
    bench = await startBench();
  });
  after(() => bench.stop());

  it('lists services and shows one, as text and JSON; MICRO_REGISTRY_ADDRESS works as the flag', async () => {
    const [text, json, fromEnv, service, missing] = await Promise.all([
      micro(['list', 'services', ...bench.flag]),
      micro(['list', 'services', '--output', 'json', ...bench.flag]),
      micro(['list', 'services'], {
        env: { MICRO_REGISTRY_ADDRESS: bench.controlPlane.address, MICRO_OUTPUT: 'json' },
      }),
      micro(['get', 'service', 'greeter', ...bench.flag]),
      micro(['get', 'service', 'nosuch', ...bench.flag]),
    ]);
    for (const run of [text, json, fromEnv, service]) assert.equal(run.code, 0, run.stderr);

    assert.match(text.stdout, /^NAME\s+VERSIONS\s+NODES$/m);
    assert.match(text.stdout, /^greeter\s+1\.0\.0\s+1$/m);
    assert.match(text.stdout, /^registry\s+latest\s+1$/m, 'the control plane is a service too');
    const records = JSON.parse(json.stdout) as Service[];
    const greeter = records.find((s) => s.name === 'greeter');
    assert.equal(greeter?.nodes[0]?.address, bench.greeter.server.address, 'full records');
    assert.deepEqual(JSON.parse(fromEnv.stdout), records);

    assert.match(service.stdout, /^service\s+greeter$/m);
    assert.match(service.stdout, /^metadata\s+team=core$/m);
    assert.ok(service.stdout.includes(bench.greeter.server.address), 'nodes with addresses');
    assert.match(service.stdout, /^Say\.Hello$/m);
    assert.match(service.stdout, /request\s+\{ name: string \}/, 'the request schema, readable');
    assert.match(service.stdout, /response\s+\{ msg\?: string \}/);
    assert.match(service.stdout, /^Say\.Count\s+\[stream=server\]$/m);
    assert.match(service.stdout, /^events\s+\[subscriber=true topic=events\]$/m);
    assert.deepEqual(greeter?.endpoints.find((e) => e.name === 'Say.Hello')?.request, {
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
    });
    assert.equal(missing.code, 1);
    assert.equal(errorOf(missing).code, 404);
    assert.ok(errorOf(missing).detail.includes(bench.controlPlane.address));
  });

  it('checks health and stats of every node', async () => {
    const [health, healthJson, stats] = await Promise.all([
      micro(['health', 'greeter', ...bench.flag]),
      micro(['health', 'greeter', '-o', 'json', ...bench.flag]),
      micro(['stats', 'greeter', ...bench.flag]),
    ]);
    for (const run of [health, healthJson, stats]) assert.equal(run.code, 0, run.stderr);
    const id = bench.greeter.server.id;
    assert.match(
      health.stdout,
      // The monitor's column follows once the control plane's monitor has probed the node.
      new RegExp(`^${id}\\s+\\S+\\s+1\\.0\\.0\\s+ok\\s+[\\d.]+ ms(\\s|$)`, 'm'),
    );
    assert.match(health.stdout, /1 of 1 node healthy/);
    const [h] = JSON.parse(healthJson.stdout) as {
      node: string;
      address: string;
      status: string;
    }[];
    assert.deepEqual([h?.node, h?.address, h?.status], [id, bench.greeter.server.address, 'ok']);
    assert.match(stats.stdout, /^NODE\s+ADDRESS\s+VERSION\s+UPTIME\s+REQUESTS\s+ERRORS/m);
    assert.match(
      stats.stdout,
      new RegExp(`^${id}\\s+\\S+\\s+1\\.0\\.0\\s+\\d+s\\s+\\d+\\s+\\d+`, 'm'),
    );
    assert.match(stats.stdout, /\d+\.\d MB/, 'memory in MB');
  });

  it('registers a record by hand, sees it fail health and doctor, and deregisters it', async () => {
    // One node where nothing listens, one whose port the greeter now has.
    const dead = await closedAddress();
    const taken = bench.greeter.server.address;
    const record = JSON.stringify({
      name: 'ghost',
      nodes: [
        { id: 'ghost-1', address: dead },
        { id: 'ghost-2', address: taken },
      ],
    });
    const [registered, invalid] = await Promise.all([
      micro(['register', 'service', record, '--ttl', '1m', ...bench.flag]),
      micro(['register', 'service', '{"name":"x"}', ...bench.flag]),
    ]);
    assert.equal(registered.code, 0, registered.stderr);
    assert.match(registered.stdout, /registered ghost latest \(2 nodes; expires in 1m/);
    assert.equal(invalid.code, 1);
    assert.match(errorOf(invalid).detail, /needs at least one node/);
    const [ghost] = await bench.registry.getService('ghost');
    assert.deepEqual(ghost, {
      name: 'ghost',
      version: 'latest',
      metadata: {},
      endpoints: [],
      nodes: [
        { id: 'ghost-1', address: dead, metadata: {} },
        { id: 'ghost-2', address: taken, metadata: {} },
      ],
    });

    const [health, doctor, doctorAll] = await Promise.all([
      micro(['health', 'ghost', ...bench.flag]),
      micro(['doctor', 'ghost', ...bench.flag]),
      micro(['doctor', ...bench.flag]),
    ]);
    assert.equal(health.code, 1, 'nodes that do not answer are unhealthy');
    assert.match(
      health.stdout,
      new RegExp(`^ghost-1\\s+${dead}\\s+latest\\s+failed\\s+[\\d.]+ ms\\s+503 `, 'm'),
    );
    assert.match(health.stdout, /0 of 2 nodes healthy/);
    assert.equal(doctor.code, 1);
    assert.match(doctor.stdout, /ok\s+answered in [\d.]+ ms/);
    assert.match(doctor.stdout, /ghost-1\s+\S+\s+FAILED/);
    assert.match(doctor.stdout, /1 node of ghost does not answer: a stale registration/);
    assert.match(doctor.stdout, /expires after its TTL/);
    assert.match(doctor.stdout, /micro deregister service '\{"name":"ghost".*--registry-address/);
    assert.ok(
      doctor.stdout.includes(`${taken} is now greeter, not ghost: the registration is stale`),
      doctor.stdout,
    );
    assert.equal(doctorAll.code, 1);
    assert.match(doctorAll.stdout, /greeter-\S+\s+\S+\s+ok in [\d.]+ ms/);
    assert.match(doctorAll.stdout, /2 of 2 nodes of ghost did not answer Debug\.Health/);

    const deregistered = await micro(['deregister', 'service', ...bench.flag], { input: record });
    assert.equal(deregistered.code, 0, deregistered.stderr);
    await assert.rejects(bench.registry.getService('ghost'), /not found/);
  });

  it('doctor: healthy, unknown service and endpoint, and no registry at all', async () => {
    const closed = await closedAddress();
    const [fine, unknown, typo, noRegistry] = await Promise.all([
      micro(['doctor', 'greeter', 'Say.Hello', ...bench.flag]),
      micro(['doctor', 'greter', ...bench.flag]),
      micro(['doctor', 'greeter', 'Say.hello', ...bench.flag]),
      micro(['doctor', 'greeter', '--registry-address', closed]),
    ]);
    assert.equal(fine.code, 0, fine.stdout);
    assert.match(fine.stdout, /endpoint Say\.Hello: advertised by 1\.0\.0/);
    assert.match(fine.stdout, /no problems found/);

    assert.equal(unknown.code, 1);
    assert.match(unknown.stdout, /greter is not registered in micro at 127\.0\.0\.1:\d+/);
    assert.match(unknown.stdout, /did you mean greeter\?/);

    assert.equal(typo.code, 1);
    assert.match(typo.stdout, /greeter has no endpoint Say\.hello/);
    assert.match(typo.stdout, /did you mean Say\.Hello\?/);

    assert.equal(noRegistry.code, 1);
    assert.ok(noRegistry.stdout.includes(`registry  micro at ${closed}`), noRegistry.stdout);
    assert.match(noRegistry.stdout, /FAILED\s+after \d+ ms: .*ECONNREFUSED/);
    assert.ok(
      noRegistry.stdout.includes(`no registry at ${closed}: start one with "micro run"`),
      noRegistry.stdout,
    );
  });
});

describe('micro without a registry', () => {
  it('lists every command on one line in --help, and prints a completion script', async () => {
    const [help, completion, completions, badRegistry] = await Promise.all([
      micro(['--help']),
      micro(['completion']),
      micro(['--get-yargs-completions', 'micro', 'list', '']),
      micro(['list', 'services', '--registry', 'consul']),
    ]);
    assert.equal(help.code, 0, help.stderr);
    const lines = help.stdout.split('\n');
    const start = lines.indexOf('Commands:');
    const end = lines.indexOf('', start);
    const listing = lines.slice(start + 1, end);
    const names = commands
      .filter((c) => c.describe !== false)
      .map((c) => String(Array.isArray(c.command) ? c.command[0] : c.command).split(' ')[0]);
    assert.ok(names.length >= 11);
    for (const name of names)
      assert.ok(
        listing.some((l) => l.startsWith(`  micro ${name} `) || l === `  micro ${name}`),
        `${name} is listed`,
      );
    assert.deepEqual(
      listing.filter((l) => !l.startsWith('  micro ')),
      [],
      `each command takes one line:\n${listing.join('\n')}`,
    );

    assert.equal(completion.code, 0);
    assert.match(completion.stdout, /micro --get-yargs-completions/);
    assert.match(completion.stdout, /complete .* micro/);
    assert.equal(completions.stdout, 'services\ntopics\n');

    assert.equal(badRegistry.code, 1);
    assert.match(errorOf(badRegistry).detail, /unknown registry "consul".*micro, memory, mdns/);
  });
});
