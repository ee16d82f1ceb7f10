// A canary and its rollback, end to end: a real control plane, greeter 1.0.0 and 2.0.0 as
// platform services, and four ways of calling greeter: the API gateway (`micro api`), the sidecar
// (`micro sidecar`), a caller service calling greeter from its handler, and `micro call`.
// `micro route weight greeter 1.0.0=50 2.0.0=50` sends every path to both versions; one command,
// `micro route undo`, sends every path to 1.0.0 alone again. Each change is awaited by polling a
// bounded number of times (the stated bound: a watching client sees a change within about 1 s).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createService, type PlatformService } from '../../src/platform/service.ts';
import type { RoutesVersion } from '../../src/platform/routing/routing.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient } from '../../src/runtime/client/rpc-client.ts';
import { serverStream, type Client, type Registry } from '../../src/runtime/index.ts';
import { bin, micro, type Run } from '../helpers/cli.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, quiet } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

type Version = '1.0.0' | '2.0.0';
/** One way of calling greeter Say.Hello: resolves with the version that answered. */
type Path = () => Promise<Version>;

const versionOf = (answer: unknown): Version => {
  const v = (answer as { version?: unknown }).version;
  assert.ok(v === '1.0.0' || v === '2.0.0', `an answer of greeter: ${JSON.stringify(answer)}`);
  return v;
};
const ok = (r: Run): string => {
  assert.equal(r.code, 0, `stderr: ${r.stderr}`);
  return r.stdout;
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls until `done(answers)` holds, at most `max` calls 20 ms apart; the answers, or a failure naming them. */
async function pollUntil(
  path: Path,
  done: (answers: Version[]) => boolean,
  max: number,
  what: string,
): Promise<Version[]> {
  const answers: Version[] = [];
  for (let i = 0; i < max; i++) {
    answers.push(await path());
    if (done(answers)) return answers;
    await pause(20);
  }
  return assert.fail(`${what}: not after ${max} calls (last: ${answers.slice(-10).join(' ')})`);
}

/** True once the last n answers are all 1.0.0. */
const lastAllV1 = (n: number) => (a: Version[]) =>
  a.length >= n && a.slice(-n).every((v) => v === '1.0.0');

describe('a canary through the gateway, the sidecar, a service and micro call', () => {
  let plane: TestControlPlane;
  let registry: Registry;
  let client: Client;
  const services: PlatformService[] = [];
  const paths: Record<string, Path> = {};
  let env: Record<string, string>;
  const route = (...args: string[]) => micro(['route', ...args], { env: { ...env, USER: 'ann' } });

  before(async () => {
    plane = await startTestControlPlane('micro-canary-');
    env = { MICRO_REGISTRY_ADDRESS: plane.address, MICRO_TRACE: 'off' };
    registry = createMicroRegistry({ address: plane.address });
    for (const version of ['1.0.0', '2.0.0']) {
      const greeter = createService({
        name: 'greeter',
        version,
        registry,
        handleSignals: false,
        logger: quiet,
      });
      greeter.handle('Say', {
        Hello: async () => ({ version }),
        Versions: serverStream(async function* () {
          yield { version };
        }),
      });
      services.push(greeter);
    }
    const caller: PlatformService = createService({
      name: 'caller',
      registry,
      handleSignals: false,
      logger: quiet,
    });
    caller.handle('Caller', {
      Greet: async () => caller.client.call('greeter', 'Say.Hello', {}),
    });
    services.push(caller);
    await Promise.all(services.map((s) => s.start()));
    client = createClient({ registry });

    const [api, sidecar] = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const gatewayProc = startNode(bin, ['api', '--api-address', api], env);
    const sidecarProc = startNode(bin, ['sidecar', '--sidecar-address', sidecar], env);
    await Promise.all([
      gatewayProc.waitFor(/micro api listening/, 30_000),
      sidecarProc.waitFor(/sidecar listening/, 30_000),
    ]);
    const post = async (url: string): Promise<Version> => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }).catch((err: Error) => {
        // A refused connection: say what the gateway and the sidecar printed.
        const printed = [gatewayProc, sidecarProc].map((p) => p.lines.slice(-15).join('\n'));
        throw new Error(`${url}: ${err.message}\n${printed.join('\n---\n')}`);
      });
      assert.equal(res.status, 200, await res.clone().text());
      return versionOf(await res.json());
    };
    paths.gateway = () => post(`http://${api}/greeter/say/hello`);
    paths.sidecar = () => post(`http://${sidecar}/greeter/Say.Hello`);
    paths.service = async () => versionOf(await client.call('caller', 'Caller.Greet', {}));
  });
  after(async () => {
    await stopAll();
    await closeAll(client, ...services, registry);
    await plane.stop();
  });

  /** `micro call greeter Say.Hello` `n` times at once: the versions that answered. */
  const cliCalls = async (n: number): Promise<Version[]> =>
    (
      await Promise.all(
        Array.from({ length: n }, () => micro(['call', 'greeter', 'Say.Hello', '{}'], { env })),
      )
    ).map((r) => versionOf(JSON.parse(ok(r))));
  /** `micro stream greeter Say.Versions` `n` times at once: the versions that answered. */
  const cliStreams = async (n: number): Promise<Version[]> =>
    (
      await Promise.all(
        Array.from({ length: n }, () =>
          micro(['stream', 'greeter', 'Say.Versions', '{}'], { env }),
        ),
      )
    ).map((r) => versionOf(JSON.parse(ok(r))));

  it('splits every path 50/50, and one command rolls every path back to 1.0.0', async (t) => {
    ok(await route('weight', 'greeter', '1.0.0=100'));
    for (const [name, path] of Object.entries(paths))
      await pollUntil(path, lastAllV1(20), 500, `${name} sends every call to 1.0.0`);

    ok(await route('weight', 'greeter', '1.0.0=50', '2.0.0=50'));
    for (const [name, path] of Object.entries(paths)) {
      // Once 2.0.0 answers the rule is seen; of the next 100 calls each version gets a share.
      await pollUntil(path, (a) => a.includes('2.0.0'), 500, `${name} reaches 2.0.0`);
      const next = await pollUntil(path, (a) => a.length === 100, 100, name);
      const v2 = next.filter((v) => v === '2.0.0').length;
      t.diagnostic(`${name}: 1.0.0 ${100 - v2}, 2.0.0 ${v2} of 100 calls`);
      assert.ok(v2 >= 25 && v2 <= 75, `${name}: 2.0.0 answered ${v2} of 100 calls at 50/50`);
    }
    const seen = new Set<Version>();
    for (let i = 0; i < 5 && seen.size < 2; i++) for (const v of await cliCalls(4)) seen.add(v);
    assert.deepEqual([...seen].sort(), ['1.0.0', '2.0.0'], 'micro call reaches both versions');
    const streamed = new Set<Version>();
    for (let i = 0; i < 5 && streamed.size < 2; i++)
      for (const v of await cliStreams(4)) streamed.add(v);
    assert.deepEqual([...streamed].sort(), ['1.0.0', '2.0.0'], 'micro stream reaches both');

    // The rollback: one command. Every path is polled while it runs, until 20 answers in a row
    // after it returned are 1.0.0's; the last 2.0.0 answer tells when each path saw the change.
    let returned = false;
    const polled = Object.entries(paths).map(async ([name, path]) => {
      let last = 0;
      let after = 0;
      await pollUntil(
        async () => {
          const v = await path();
          if (v === '2.0.0') last = Date.now();
          after = !returned ? 0 : v === '1.0.0' ? after + 1 : 0;
          return v;
        },
        () => after >= 20,
        2000,
        `${name} rolls back to 1.0.0`,
      );
      return { name, last };
    });
    const undo = await route('undo', '-o', 'json');
    returned = true;
    const { at } = JSON.parse(ok(undo)) as RoutesVersion;
    for (const { name, last } of await Promise.all(polled))
      t.diagnostic(
        `${name}: no 2.0.0 answer later than ${Math.max(0, last - at)} ms after the rollback was stored`,
      );
    // From now on, only 1.0.0 on every path.
    for (const [name, path] of Object.entries(paths)) {
      const more = await pollUntil(path, (a) => a.length === 50, 50, name);
      assert.deepEqual(new Set(more), new Set(['1.0.0']), `${name} after the rollback`);
    }
    assert.deepEqual(
      new Set(await cliCalls(4)),
      new Set(['1.0.0']),
      'micro call after the rollback',
    );
    assert.deepEqual(
      new Set(await cliStreams(8)),
      new Set(['1.0.0']),
      'micro stream after the rollback',
    );
  });
});
