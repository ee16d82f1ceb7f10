import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { servicesEnvironment } from '../../src/commands/shared/control-plane.ts';
import { CONTROL_PLANE } from '../../src/commands/shared/options.ts';
import { startControlPlane } from '../../src/controlplane/index.ts';
import { createEtcdRegistry } from '../../src/registry/etcd.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { openDatabase } from '../../src/registry/sqlite.ts';
import { errorOf, micro } from '../helpers/cli.ts';
import { quiet } from '../helpers/fixtures.ts';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.ts';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

// `micro run` and the CLI against a real etcd and a real nats-server, chosen by flags and MICRO_*.
const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));
const listening = /greeter-\S+ listening on/;

/** Parses the JSON a command printed, saying what it printed when it is not JSON. */
const json = (run: { code: number | null; stdout: string; stderr: string }): unknown => {
  assert.equal(run.code, 0, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return JSON.parse(run.stdout) as unknown;
};

describe('micro on etcd and NATS', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-distributed-'));
  const greeter = join(work, 'greeter');
  let etcd: EtcdServer;
  let nats: NatsServer;

  before(async () => {
    [etcd, nats] = await Promise.all([startEtcd(), startNatsServer()]);
    execFileSync(process.execPath, [bin, 'new', 'greeter'], { cwd: work, stdio: 'pipe' });
  });
  after(async () => {
    await stopAll();
    await Promise.all([etcd?.stop(), nats?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('micro run hosts the control plane, gateway and dashboard over etcd and the NATS transport, without a SQLite registry', async () => {
    const dataDir = join(work, 'data');
    const address = async (): Promise<string> => `127.0.0.1:${await freePort()}`;
    const [control, api, web] = [await address(), await address(), await address()];
    // Flags only: the gateway and the services micro run starts follow them.
    const flags = [
      ...['--registry', 'etcd', '--registry-address', etcd.address],
      ...['--transport', 'nats', '--transport-address', nats.address],
    ];
    const env = { MICRO_DATA_DIR: dataDir, MICRO_CONTROL_ADDRESS: control };
    const plane = startNode(
      bin,
      ['run', ...flags, '--api-address', api, '--web-address', web, '--no-api-log'],
      env,
    );
    await plane.waitFor(/Press Ctrl-C/, 20_000);
    assert.ok(
      plane.lines.some((l) =>
        l.includes(`registry   ${control} (serving etcd at ${etcd.address})`),
      ),
      plane.lines.join('\n'),
    );
    // micro.db keeps the services `micro run -d` hands over, and the platform's store, config and
    // sync (not moved to etcd here), but no registry.
    const db = openDatabase(join(dataDir, 'micro.db'));
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((t) => (t as { name: string }).name);
    db.close();
    assert.ok(tables.includes('runtime_services'), tables.join());
    assert.ok(
      !tables.some((t) => t.startsWith('registry')),
      `no SQLite registry: ${tables.join()}`,
    );

    // Foreground: the service is pointed at etcd, not at the control plane.
    const svc = startNode(bin, ['run', greeter, ...flags], env);
    await svc.waitFor(listening, 20_000);
    const etcdDirect = createEtcdRegistry({ address: etcd.address });
    const [inEtcd] = await etcdDirect.getService('greeter');
    assert.equal(inEtcd?.nodes[0]?.metadata.registry, 'etcd');
    assert.equal(inEtcd?.nodes[0]?.metadata.transport, 'nats', 'the service opened no port');

    const list = await micro(['list', 'services', ...flags]);
    assert.equal(list.code, 0, list.stderr);
    for (const name of ['greeter', 'registry', 'runtime'])
      assert.match(list.stdout, new RegExp(name));
    assert.deepEqual(
      json(await micro(['call', 'greeter', 'Say.Hello', '{"name":"Ann"}', ...flags])),
      {
        msg: 'Hello Ann',
      },
    );

    // The control plane's registry service serves etcd's contents, to the CLI and micro-registry clients.
    const listed = json(
      await micro(['call', 'registry', 'Registry.ListServices', '{}', ...flags]),
    ) as {
      services: { name: string }[];
    };
    assert.ok(listed.services.some((s) => s.name === 'greeter'));
    const viaControl = createMicroRegistry({ address: control });
    assert.ok((await viaControl.listServices()).some((s) => s.name === 'greeter'));
    await viaControl.close();

    const gateway = await fetch(`http://${api}/greeter/say/hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Bo"}',
    });
    assert.equal(gateway.status, 200);
    assert.deepEqual(await gateway.json(), { msg: 'Hello Bo' });
    const dashboard: unknown = await (await fetch(`http://${web}/_/api/services`)).json();
    assert.match(JSON.stringify(dashboard), /"greeter"/);

    // Supervised: micro ps, logs and kill find the runtime through etcd; the child registers in etcd.
    // It gets the broker asked for here, not the platform's (http).
    const natsBroker = ['--broker', 'nats', '--broker-address', nats.address];
    const detached = await micro(['run', '-d', greeter, '--name', 'bg', ...flags, ...natsBroker]);
    assert.match(detached.stdout, /bg is running \(pid \d+\)/, detached.stderr);
    const follow = startNode(bin, ['logs', 'bg', '-f', '--file', ...flags], env);
    await follow.waitFor(listening, 20_000);
    const [twice] = await etcdDirect.getService('greeter');
    assert.equal(
      twice?.nodes.length,
      2,
      'the supervised greeter joined the foreground one in etcd',
    );
    assert.match((await micro(['ps', ...flags])).stdout, /bg\s+running/);
    const sent = await micro(['publish', 'greeter.greetings', '{"name":"Dee"}', ...natsBroker]);
    assert.equal(sent.code, 0, sent.stderr);
    await follow.waitFor(/greeted Dee/);
    assert.match((await micro(['kill', 'bg', ...flags])).stdout, /bg stopped/);
    await follow.stop();

    assert.equal(await svc.stop('SIGINT'), 0);
    await etcdDirect.close();
    assert.equal(await plane.stop('SIGINT'), 0);
  });

  it('runs, lists, calls and publishes with the NATS registry and broker', async () => {
    const flags = ['--registry', 'nats', '--registry-address', nats.address];
    // As a user would deploy it: configuration only, in the environment.
    const svc = startNode(bin, ['run', greeter], {
      MICRO_REGISTRY: 'nats',
      MICRO_REGISTRY_ADDRESS: nats.address,
      MICRO_BROKER: 'nats',
      MICRO_BROKER_ADDRESS: nats.address,
    });
    await svc.waitFor(listening, 20_000);
    const list = await micro(['list', 'services', ...flags]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /greeter\s+0\.1\.0\s+1/);
    assert.deepEqual(
      json(await micro(['call', 'greeter', 'Say.Hello', '{"name":"Ann"}', ...flags])),
      {
        msg: 'Hello Ann',
      },
    );

    const published = await micro(['publish', 'greeter.greetings', '{"name":"Cy"}', ...flags], {
      env: { MICRO_BROKER: 'nats', MICRO_BROKER_ADDRESS: nats.address },
    });
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, /published to greeter\.greetings through the nats broker/);
    await svc.waitFor(/greeted Cy/);
    assert.equal(await svc.stop('SIGINT'), 0);
  });

  it('serves apps in other languages through the sidecar with the NATS broker', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const sidecar = startNode(bin, ['sidecar', '--sidecar-address', address], {
      MICRO_REGISTRY: 'nats',
      MICRO_REGISTRY_ADDRESS: nats.address,
      MICRO_BROKER: 'nats',
      MICRO_BROKER_ADDRESS: nats.address,
    });
    await sidecar.waitFor(/sidecar listening on/, 20_000);
    const ws = new WebSocket(`ws://${address}/broker?topic=news`);
    const got: unknown[] = [];
    const arrived = new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString()) as { subscribed?: string };
        if (!m.subscribed) got.push(m);
        if (got.length === 1) resolve();
      });
    });
    await once(ws, 'message'); // {"subscribed": "news"}: the subscription is live
    const published = await micro(['publish', 'news', '{"n":1}'], {
      env: { MICRO_BROKER: 'nats', MICRO_BROKER_ADDRESS: nats.address },
    });
    assert.equal(published.code, 0, published.stderr);
    await arrived;
    assert.deepEqual(got, [{ n: 1 }]);
    ws.close();
    assert.equal(await sidecar.stop('SIGINT'), 0);
  });

  it("gives an engine chosen without an address its default address, not the control plane's", async () => {
    // What `micro run --registry etcd --broker nats` hands the services it starts.
    assert.deepEqual(
      await servicesEnvironment({
        registry: 'etcd',
        registryAddress: CONTROL_PLANE,
        broker: 'nats',
        transport: 'tcp',
      }),
      {
        MICRO_REGISTRY: 'etcd',
        MICRO_REGISTRY_ADDRESS: '127.0.0.1:2379',
        MICRO_BROKER: 'nats',
        MICRO_BROKER_ADDRESS: '127.0.0.1:4222',
        MICRO_TRANSPORT: 'tcp',
      },
    );
    const redis = await servicesEnvironment({
      registry: 'micro',
      registryAddress: CONTROL_PLANE,
      broker: 'redis',
      transport: 'nats',
      transportAddress: nats.address,
    });
    assert.equal(redis.MICRO_BROKER_ADDRESS, '127.0.0.1:6379');
    assert.equal(redis.MICRO_TRANSPORT_ADDRESS, nats.address);
    assert.equal(
      redis.MICRO_REGISTRY_ADDRESS,
      undefined,
      'the control plane points them at itself',
    );

    // A control plane over etcd whose services were told only MICRO_REGISTRY=etcd: they find etcd
    // where the control plane does, not at the control plane's own port.
    const dataDir = join(work, 'data-defaults');
    const registry = createEtcdRegistry({ address: etcd.address });
    const plane = await startControlPlane({
      address: '127.0.0.1:0',
      dataDir,
      registry,
      env: { MICRO_REGISTRY: 'etcd' },
      supervise: { command: process.execPath, args: [bin] },
      logger: quiet,
    });
    try {
      const flag = ['--registry-address', plane.address];
      const run = await micro(['run', '-d', greeter, '--name', 'etcd-bg', ...flag]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /etcd-bg is running/);
      const [inEtcd] = await registry.getService('greeter');
      assert.equal(inEtcd?.nodes.length, 1);
      assert.equal(inEtcd?.nodes[0]?.metadata.registry, 'etcd');
      assert.match((await micro(['kill', 'etcd-bg', ...flag])).stdout, /etcd-bg stopped/);
    } finally {
      await plane.stop();
      await registry.close();
    }
  });

  it('names the valid brokers and transports when a flag names none', async () => {
    const broker = errorOf(
      await micro(['call', 'greeter', 'Say.Hello', '{}', '--broker', 'kafka']),
    );
    assert.equal(broker.code, 400);
    assert.match(broker.detail, /unknown broker "kafka".*use one of http, memory, nats, jetstream/);
    const transport = errorOf(
      await micro(['call', 'greeter', 'Say.Hello', '{}'], { env: { MICRO_TRANSPORT: 'smoke' } }),
    );
    assert.match(transport.detail, /unknown transport "smoke" \(--transport or MICRO_TRANSPORT\)/);
  });
});
