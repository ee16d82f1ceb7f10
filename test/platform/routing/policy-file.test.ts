// The resiliency policy file: Dapr's own Resiliency resource, as its docs write it, read into the
// runtime's ResiliencyPolicy; micro's additions; what micro does not honour named in warnings;
// bad files refused with the file, the path in it and what is wrong.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UNLIMITED_RETRIES } from '../../../src/platform/routing/policy-dapr.ts';
import {
  parseResiliency,
  policyFromEnv,
  readResiliency,
} from '../../../src/platform/routing/policy-file.ts';
import { targetPolicy, type TargetPolicy } from '../../../src/runtime/resilience/policy.ts';
import { errorOf, micro } from '../../helpers/cli.ts';

// The complete example of Dapr's resiliency overview, unchanged but for the target names.
const DAPR = `
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: myresiliency
scopes:
  - app1
  - app2
spec:
  policies:
    timeouts:
      general: 5s
      important: 60s
      largeResponse: 10s
    retries:
      pubsubRetry:
        policy: constant
        duration: 5s
        maxRetries: 10
      retryForever:
        policy: exponential
        maxInterval: 15s
        maxRetries: -1 # Retry indefinitely
      important:
        policy: constant
        duration: 5s
        maxRetries: 30
      someOperation:
        policy: exponential
        maxInterval: 15s
      largeResponse:
        policy: constant
        duration: 5s
        maxRetries: 3
    circuitBreakers:
      simpleCB:
        maxRequests: 1
        timeout: 30s
        trip: consecutiveFailures >= 5
      pubsubCB:
        maxRequests: 1
        interval: 8s
        timeout: 45s
        trip: consecutiveFailures > 8
  targets:
    apps:
      appB:
        timeout: general
        retry: important
        circuitBreaker: simpleCB
    actors:
      myActorType:
        timeout: general
        retry: important
        circuitBreaker: simpleCB
        circuitBreakerScope: both
        circuitBreakerCacheSize: 5000
    components:
      statestore1:
        outbound:
          timeout: general
          retry: retryForever
          circuitBreaker: pubsubCB
`;

/** A target policy without its back-off function, and that back-off's first waits. */
function plain(t: TargetPolicy | undefined): [Omit<TargetPolicy, 'backoff'>, number[]] {
  const { backoff, ...rest } = t ?? {};
  return [rest, backoff ? [1, 2, 3].map((n) => backoff(n)) : []];
}

const bad = (text: string, pattern: RegExp): void => {
  assert.throws(
    () => parseResiliency(text, 'bad.yaml'),
    (e: Error) => {
      assert.ok(e instanceof TypeError, e.message);
      assert.match(e.message, /^resiliency file bad\.yaml: /);
      assert.match(e.message, pattern);
      return true;
    },
  );
};

const resource = (spec: string): string =>
  `apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nspec:\n${spec}`;

describe('the resiliency policy file', () => {
  it("reads Dapr's documented example into targets, and names what micro does not apply", () => {
    const { policy, warnings, scopes } = parseResiliency(DAPR, 'resiliency.yaml', { app: 'app1' });
    assert.deepEqual(scopes, ['app1', 'app2']);
    assert.equal(policy.default, undefined);
    assert.deepEqual(Object.keys(policy.targets ?? {}), ['appB']);
    assert.deepEqual(plain(policy.targets?.appB), [
      {
        attemptTimeout: 5000,
        retries: 30,
        breaker: { failures: 5, probes: 1, openFor: 30_000, maxOpenFor: 30_000, ratio: 0 },
      },
      [5000, 5000, 5000],
    ]);
    const text = warnings.join('\n');
    assert.match(text, /spec\.targets\.actors \(myActorType\) not applied/);
    assert.match(text, /spec\.targets\.components \(statestore1\) not applied/);
    assert.match(text, /circuitBreakers\.pubsubCB\.interval is not applied/);
    // Dapr times each attempt, and so does micro: no warning about timing.
    assert.doesNotMatch(text, /time out after|not each attempt/);
  });

  it('reads the same resource written as JSON', () => {
    const json = JSON.stringify({
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Resiliency',
      spec: {
        policies: {
          timeouts: { fast: '250ms' },
          retries: { three: { policy: 'constant', duration: '10ms', maxRetries: 3 } },
        },
        targets: { apps: { greeter: { timeout: 'fast', retry: 'three' } } },
      },
    });
    const { policy } = parseResiliency(json, 'r.json');
    assert.deepEqual(plain(policy.targets?.greeter), [
      { attemptTimeout: 250, retries: 3 },
      [10, 10, 10],
    ]);
  });

  it("resolves Dapr's default policy names per kind, the App ones first", () => {
    const { policy, warnings } = parseResiliency(
      resource(`  policies:
    timeouts:
      DefaultTimeoutPolicy: 2s
      DefaultAppTimeoutPolicy: 1500ms
      quick: 100ms
    retries:
      DefaultRetryPolicy: { policy: constant, duration: 1s, maxRetries: 3 }
      DefaultActorRetryPolicy: { policy: constant, duration: 1s, maxRetries: 9 }
      DaprBuiltInServiceRetries: { policy: constant, duration: 1s, maxRetries: 5 }
    circuitBreakers:
      DefaultCircuitBreakerPolicy: { trip: consecutiveFailures > 2, timeout: 10s }
  targets:
    apps:
      fast: { timeout: quick }
      raw: { circuitBreaker: false, retryBudget: false }
`),
      'defaults.yaml',
    );
    const breaker = { failures: 3, probes: 1, openFor: 10_000, maxOpenFor: 10_000, ratio: 0 };
    assert.deepEqual(plain(policy.default), [
      { attemptTimeout: 1500, retries: 3, breaker },
      [1000, 1000, 1000],
    ]);
    // A target's own kinds win; the others are the defaults', as Dapr resolves them.
    assert.deepEqual(plain(targetPolicy(policy, 'fast')), [
      { attemptTimeout: 100, retries: 3, breaker },
      [1000, 1000, 1000],
    ]);
    assert.equal(targetPolicy(policy, 'raw')?.breaker, false);
    assert.equal(targetPolicy(policy, 'raw')?.retryBudget, false);
    assert.equal(targetPolicy(policy, 'other')?.attemptTimeout, 1500);
    const text = warnings.join('\n');
    assert.match(
      text,
      /retries\.DefaultActorRetryPolicy is not used: it is Dapr's default for Actor operations/,
    );
    assert.match(text, /retries\.DaprBuiltInServiceRetries is not used/);
  });

  it('backs off exponentially up to maxInterval; -1 retries until the timeout; matching is named', () => {
    const { policy, warnings } = parseResiliency(
      resource(`  policies:
    retries:
      forever:
        policy: exponential
        maxInterval: 1s
        maxRetries: -1
        matching:
          httpStatusCodes: "429,500-599"
  targets:
    apps:
      greeter: { retry: forever }
`),
      'exp.yaml',
    );
    const t = policy.targets?.greeter;
    assert.equal(t?.retries, UNLIMITED_RETRIES);
    const first = t?.backoff?.(1) ?? -1;
    assert.ok(first >= 250 && first <= 750, `first wait ${first}`);
    assert.equal(t?.backoff?.(30), 1000);
    assert.match(warnings.join('\n'), /retries\.forever\.matching is not applied/);
  });

  it("reads micro's bulkheads, retry budgets and hedges beside Dapr's policies", () => {
    const { policy, warnings } = parseResiliency(
      resource(`  policies:
    bulkheads:
      small: { maxInFlight: 10, perEndpoint: 4, maxQueue: 20, queueTimeout: 250ms }
      DefaultBulkheadPolicy: { maxInFlight: 100 }
    retryBudgets:
      tight: { ratio: 0.1, minPerSecond: 2, window: 5s }
    hedges:
      reads: { delay: 20ms, max: 2, endpoints: [Say.Hello, Say.List] }
  targets:
    apps:
      greeter: { bulkhead: small, retryBudget: tight, hedge: reads }
`),
      'micro.yaml',
    );
    assert.deepEqual(warnings, []);
    assert.deepEqual(policy, {
      default: { bulkhead: { maxInFlight: 100 } },
      targets: {
        greeter: {
          bulkhead: { maxInFlight: 10, perEndpoint: 4, maxQueue: 20, queueTimeout: 250 },
          retryBudget: { ratio: 0.1, minPerSecond: 2, window: 5000 },
          hedge: { delay: 20, max: 2, endpoints: ['Say.Hello', 'Say.List'] },
        },
      },
    });
  });

  it('applies a scoped file only to the apps it names', async () => {
    assert.deepEqual(parseResiliency(DAPR, 'r.yaml', { app: 'greeter' }).policy, {});
    const dir = await mkdtemp(join(tmpdir(), 'micro-policy-'));
    try {
      const file = join(dir, 'resiliency.yaml');
      await writeFile(file, DAPR);
      const told: string[] = [];
      const env = { MICRO_RESILIENCY: file };
      assert.equal(policyFromEnv(env, { app: 'greeter', warn: (m) => told.push(m) }), undefined);
      assert.equal(
        told[0],
        `resiliency file ${file}: scoped to app1, app2: not applied to greeter`,
      );
      assert.ok(policyFromEnv(env, { app: 'app2', warn: () => {} })?.targets?.appB);
      assert.equal(policyFromEnv({}, {}), undefined);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  describe('read from a Dapr resources directory', () => {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'micro-policy-'));
      await writeFile(
        join(dir, 'statestore.yaml'),
        'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.redis\n  version: v1\n',
      );
      await writeFile(join(dir, 'resiliency.yaml'), DAPR);
    });
    after(() => rm(dir, { recursive: true }));

    it('finds the Resiliency resource among the components', () => {
      const read = readResiliency(dir);
      assert.equal(read.policy.targets?.appB?.retries, 30);
      assert.ok(!read.warnings.some((w) => w.includes('Component')));
    });
  });

  it('refuses bad files, naming the file, the path in it and what is wrong', () => {
    bad('a: [1, 2', /not valid YAML or JSON \(line \d+, column \d+\)/);
    bad(
      'apiVersion: dapr.io/v1\nkind: Resiliency\nspec: {}',
      /apiVersion: must be dapr\.io\/v1alpha1, not "dapr\.io\/v1"/,
    );
    bad('apiVersion: dapr.io/v1alpha1\nkind: Component\nspec: {}', /has no Resiliency resource/);
    bad(
      resource('  policies:\n    timeouts:\n      slow: 5 seconds\n'),
      /spec\.policies\.timeouts\.slow: "5 seconds" is not a duration/,
    );
    bad(
      resource('  policies:\n    retry:\n      r: {}\n'),
      /spec\.policies\.retry: unknown key; expected one of timeouts, retries/,
    );
    bad(
      resource('  policies:\n    retries:\n      r: { maxRetries: -2 }\n'),
      /spec\.policies\.retries\.r\.maxRetries: must be a whole number from -1 up, not -2/,
    );
    bad(
      resource('  policies:\n    retries:\n      r: { policy: linear }\n'),
      /retries\.r\.policy: must be constant or exponential, not "linear"/,
    );
    bad(
      resource('  policies:\n    circuitBreakers:\n      cb: { trip: totalFailures > 3 }\n'),
      /circuitBreakers\.cb\.trip: "totalFailures > 3" is not supported: micro's breaker trips on consecutiveFailures > N/,
    );
    bad(
      resource(
        '  policies:\n    timeouts: { general: 5s }\n  targets:\n    apps:\n      greeter: { timeout: generall }\n',
      ),
      /spec\.targets\.apps\.greeter\.timeout: no timeouts policy named "generall" in spec\.policies\.timeouts \(there are: general\)/,
    );
    bad(
      resource('  targets:\n    apps:\n      greeter: { retries: r }\n'),
      /spec\.targets\.apps\.greeter\.retries: unknown key; expected one of timeout, retry, circuitBreaker/,
    );
    bad(
      resource('  policies:\n    bulkheads:\n      b: { maxQueue: 3 }\n'),
      /bulkheads\.b: give maxInFlight or perEndpoint/,
    );
    bad(
      resource('  policies:\n    hedges:\n      h: { endpoints: [1] }\n'),
      /hedges\.h\.endpoints\[0\]: must be an endpoint like Say\.Hello, not 1/,
    );
    bad(
      'apiVersion: dapr.io/v1alpha1\nkind: Resiliency\n',
      /spec: must be a mapping, not undefined/,
    );
  });

  it('makes micro call and micro sidecar fail with a clear error and a non-zero exit on a bad file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'micro-policy-'));
    try {
      const file = join(dir, 'resiliency.yaml');
      await writeFile(file, resource('  policies:\n    timeouts: { general: soon }\n'));
      const run = await micro(['call', 'greeter', 'Say.Hello', '{}'], {
        env: { MICRO_RESILIENCY: file, MICRO_REGISTRY: 'memory' },
      });
      assert.equal(run.code, 1);
      const err = errorOf(run);
      assert.equal(err.code, 400);
      assert.equal(
        err.detail,
        `resiliency file ${file}: spec.policies.timeouts.general: "soon" is not a duration: use Go's form, a number and a unit (ns, us, ms, s, m, h), like 500ms, 5s or 1m30s`,
      );
      // The sidecar reads it before it connects to anything.
      const sidecar = await micro(['sidecar', '--resiliency', join(dir, 'missing.yaml')], {
        env: { MICRO_REGISTRY: 'memory' },
      });
      assert.equal(sidecar.code, 1);
      assert.match(
        errorOf(sidecar).detail,
        /^resiliency file .*missing\.yaml: cannot read it: ENOENT/,
      );
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
