// `micro stats` as a user runs it: a real control plane scraping two real services, one calling
// the other, and the real CLI printing their endpoints with their rates, latency and sparklines.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createService, type PlatformService } from '../../src/platform/service.ts';
import { createMicroMetrics } from '../../src/platform/metrics/client.ts';
import type { Metrics, MetricsReport } from '../../src/platform/metrics/metrics.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { endpoint, type Registry } from '../../src/runtime/index.ts';
import type { ResiliencyPolicy } from '../../src/runtime/resilience/policy.ts';
import { errorOf, micro } from '../helpers/cli.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';
import { nameSchema, quiet } from '../helpers/fixtures.ts';

describe('micro stats', () => {
  let cp: TestControlPlane;
  let registry: Registry;
  let metrics: Metrics;
  const services: PlatformService[] = [];
  let flag: string[];
  let calls = 0;

  const service = async (
    name: string,
    build: (s: PlatformService) => void,
    policy?: ResiliencyPolicy,
  ) => {
    const s = createService({
      name,
      version: '1.0.0',
      registry,
      handleSignals: false,
      logger: quiet,
      ...(policy && { policy }),
    });
    build(s);
    await s.start();
    services.push(s);
    return s;
  };

  /** Calls front (which calls back) until the metrics service shows both with requests. */
  const traffic = async (): Promise<MetricsReport> => {
    const front = services[0]!;
    for (let i = 0; i < 400; i++) {
      await Promise.all(
        Array.from({ length: 5 }, () =>
          front.client.call('front', 'Front.Greet', { name: `n${calls++}` }),
        ),
      );
      await front.client.call('back', 'Back.Fail', {}).catch(() => undefined);
      const report = await metrics.query();
      const rates = ['Front.Greet', 'Back.Hello', 'Back.Fail'].map(
        (e) => report.endpoints.find((x) => x.endpoint === e)?.points.at(-1)?.rate ?? 0,
      );
      if (rates.every((r) => r > 0)) return report;
    }
    throw new Error('the metrics service never showed both services with requests');
  };

  before(async () => {
    cp = await startTestControlPlane('micro-stats-', { env: { MICRO_METRICS_INTERVAL: '200' } });
    registry = createMicroRegistry({ address: cp.address });
    metrics = createMicroMetrics({ address: cp.address });
    flag = ['--registry-address', cp.address];
    await service('front', (s) =>
      s.handle('Front', {
        Greet: endpoint({ request: nameSchema }, async (req: { name: string }, ctx) =>
          s.client.call('back', 'Back.Hello', req, { parent: ctx }),
        ),
      }),
    );
    await service('back', (s) =>
      s.handle('Back', {
        Hello: endpoint({ request: nameSchema }, async (req: { name: string }) => ({
          msg: `Hello ${req.name}`,
        })),
        Fail: async () => {
          throw new Error('always');
        },
      }),
    );
  });
  after(async () => {
    for (const s of services.reverse()) await s.stop();
    await metrics.close();
    await registry.close();
    await cp.stop();
  });

  it('shows every endpoint of both services with its rate, latency and sparkline', async () => {
    await traffic();
    const all = await micro(['stats', ...flag]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(
      all.stdout,
      /^SERVICE\s+ENDPOINT\s+KIND\s+REQ\/S\s+ERR\/S\s+P50\s+P99\s+IN FLIGHT\s+RATE/m,
    );
    for (const [svc, name] of [
      ['front', 'Front\\.Greet'],
      ['back', 'Back\\.Hello'],
    ])
      assert.match(
        all.stdout,
        new RegExp(
          `^${svc}\\s+${name}\\s+call\\s+[\\d.]*[1-9][\\d.]*\\s+0\\s+[\\d.]+ m?s\\s+[\\d.]+ m?s\\s+\\d+\\s+[▁▂▃▄▅▆▇█]+$`,
          'm',
        ),
      );
    // Every call to Back.Fail fails: errors per second as many as requests.
    const fail = new RegExp(`^back\\s+Back\\.Fail\\s+call\\s+([\\d.]+)\\s+([\\d.]+)\\s`, 'm').exec(
      all.stdout,
    );
    assert.ok(fail && Number(fail[1]) > 0 && fail[1] === fail[2], all.stdout);
  });

  it("shows a service's nodes and endpoints over a window, and as JSON", async () => {
    await traffic();
    const [one, asJson] = await Promise.all([
      micro(['stats', 'back', '--window', '1m', ...flag]),
      micro(['stats', 'front', '-o', 'json', ...flag]),
    ]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^NODE\s+ADDRESS\s+VERSION\s+UPTIME\s+REQUESTS\s+ERRORS/m);
    assert.match(one.stdout, new RegExp(`^${services[1]!.server.id}\\s`, 'm'));
    assert.match(
      one.stdout,
      /^ENDPOINT\s+KIND\s+REQ\/S\s+ERR\/S\s+P50\s+P99\s+IN FLIGHT\s+RATE \(1m\)/m,
    );
    assert.match(one.stdout, /^Back\.Hello\s+call\s+[\d.]*[1-9]/m);
    assert.doesNotMatch(one.stdout, /Front\.Greet/);
    assert.equal(asJson.code, 0, asJson.stderr);
    const out = JSON.parse(asJson.stdout) as {
      service: string;
      nodes: { node: string }[];
      metrics: MetricsReport;
    };
    assert.equal(out.service, 'front');
    assert.deepEqual(
      out.nodes.map((n) => n.node),
      [services[0]!.server.id],
    );
    const greet = out.metrics.endpoints.find((e) => e.endpoint === 'Front.Greet');
    assert.ok(
      greet && greet.rate > 0 && greet.calls > 0 && greet.p99 >= greet.p50,
      JSON.stringify(greet),
    );
  });

  it('refuses bad flags with a clear error and exit code 1', async () => {
    const [word, short, unknown] = await Promise.all([
      micro(['stats', '--window', 'soon', ...flag]),
      micro(['stats', '--window', '10ms', ...flag]),
      micro(['stats', '--window', '2h', ...flag]),
    ]);
    for (const run of [word, short, unknown]) assert.equal(run.code, 1, run.stdout);
    assert.match(errorOf(word).detail, /--window "soon" is not a duration/);
    assert.match(errorOf(short).detail, /at least 1s/);
    assert.equal(errorOf(unknown).code, 400);
    assert.match(errorOf(unknown).detail, /window must be/);
  });

  it('shows the circuit a caller opened to a failing node; closed ones with --all', async (t) => {
    const flaky = await service('flaky', (s) =>
      s.handle('Flaky', {
        Call: () => {
          throw new Error('always fails');
        },
      }),
    );
    const caller = await service('caller', () => undefined, {
      targets: { flaky: { retries: 0, breaker: { failures: 2, openFor: 600_000 } } },
    });
    await caller.client.call('back', 'Back.Hello', { name: 'x' });
    for (let i = 0; i < 3; i++) await assert.rejects(caller.client.call('flaky', 'Flaky.Call', {}));
    // The metrics service reads the caller's circuits on its next rounds.
    let seen = false;
    for (let i = 0; i < 200 && !seen; i++) {
      const report = await metrics.query({ service: 'caller' });
      seen = report.circuits?.some((n) => n.circuits.some((c) => c.state === 'open')) === true;
      if (!seen) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(seen, 'the metrics service never showed the open circuit');
    const [open, all] = await Promise.all([
      micro(['stats', ...flag]),
      micro(['stats', 'caller', '--all', ...flag]),
    ]);
    assert.equal(open.code, 0, open.stderr);
    t.diagnostic(`micro stats --all:\n${all.stdout.trimEnd()}`);
    assert.match(open.stdout, /^Circuits \(\d+ closed not shown: --all shows them\)$/m);
    assert.match(open.stdout, /^CALLER\s+TARGET\s+NODE\s+STATE\s+FAILURES\s+SINCE$/m);
    const row = new RegExp(
      `^${caller.server.id}\\s+flaky\\s+${flaky.server.id}\\s+open \\(probe in \\d+m\\d+s\\)\\s+[2-9]\\s+\\d+s ago$`,
      'm',
    );
    assert.match(open.stdout, row);
    assert.doesNotMatch(open.stdout, /^\S+\s+\S+\s+\S+\s+closed\s/m);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, row);
    assert.match(
      all.stdout,
      new RegExp(
        `^${caller.server.id}\\s+back\\s+${services[1]!.server.id}\\s+closed\\s+0\\s+-$`,
        'm',
      ),
    );
  });
});
