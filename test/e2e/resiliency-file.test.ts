// A Dapr Resiliency file applied by micro: the real `micro sidecar --resiliency FILE` called by the
// official Dapr JS SDK, the gateway, a platform service and micro call (with MICRO_RESILIENCY), each
// calling a flaky service. The file's retries show as the calls the service saw; its timeout as
// the error the caller gets.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CommunicationProtocolEnum, DaprClient, HttpMethod, LogLevel } from '@dapr/dapr';
import { createService as createPlatformService } from '../../src/platform/service.ts';
import { createGateway } from '../../src/proxy/gateway.ts';
import type { Gateway } from '../../src/proxy/proxy.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { internalServerError } from '../../src/runtime/errors.ts';
import type { Service } from '../../src/runtime/index.ts';
import { bin, micro } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, quiet, quietService } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, type Child } from '../helpers/proc.ts';
import type { RunningServer } from '../helpers/server-process.ts';

// Dapr's format, unchanged: a retry policy of 3 retries (the client's default is 2) and a short
// timeout for the slow service.
const POLICY = `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: micro-e2e
spec:
  policies:
    timeouts:
      general: 10s
      quick: 300ms
    retries:
      threeTimes:
        policy: constant
        duration: 20ms
        maxRetries: 3
      once:
        policy: constant
        duration: 10ms
        maxRetries: 0
  targets:
    apps:
      flaky:
        timeout: general
        retry: threeTimes
      slow:
        timeout: quick
        retry: once
`;

describe('a Dapr resiliency file through the sidecar, the gateway, a platform service and micro call', () => {
  let plane: RunningServer;
  let registry: ReturnType<typeof createMicroRegistry>;
  let flaky: Service;
  let slow: Service;
  let sidecar: Child;
  let dapr: DaprClient;
  let dir = '';
  let file = '';
  // Flaky.Call fails with a 500 while `failing` is above 0 (each call takes one off).
  let failing = 0;
  let calls = 0;
  let slowCalls = 0;
  const release: (() => void)[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'micro-resiliency-'));
    file = join(dir, 'resiliency.yaml');
    await writeFile(file, POLICY);
    plane = await startTestControlPlane('micro-resiliency-');
    registry = createMicroRegistry({ address: plane.address });
    flaky = quietService({ name: 'flaky', registry, address: '127.0.0.1:0' });
    flaky.handle('Flaky', {
      Call: async () => {
        calls++;
        if (failing > 0) {
          failing--;
          throw internalServerError('flaky', 'not this time');
        }
        return { ok: true };
      },
    });
    await flaky.start();
    slow = quietService({ name: 'slow', registry, address: '127.0.0.1:0' });
    slow.handle('Slow', {
      Call: async () => {
        slowCalls++;
        await new Promise<void>((r) => release.push(r));
        return { late: true };
      },
    });
    await slow.start();
    const port = await freePort();
    sidecar = startNode(
      bin,
      ['sidecar', '--sidecar-address', `127.0.0.1:${port}`, '--resiliency', file],
      { MICRO_REGISTRY_ADDRESS: plane.address, MICRO_TRACE: 'off' },
    );
    await sidecar.waitFor(/sidecar listening/, 20_000);
    dapr = new DaprClient({
      daprHost: '127.0.0.1',
      daprPort: String(port),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      logger: { level: LogLevel.Error },
    });
    await dapr.start();
  });
  after(async () => {
    for (const r of release) r();
    await dapr?.stop();
    await sidecar?.stop();
    await closeAll(flaky, slow, registry);
    await plane?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    calls = 0;
    failing = 0;
  });

  /** The Dapr SDK's invoke; its error is the sidecar's answer as JSON. */
  const invoke = (app: string, method: string) =>
    dapr.invoker.invoke(app, method, HttpMethod.POST, {});

  it("retries as the file says: three failures, then the SDK's call succeeds", async () => {
    failing = 3;
    assert.deepEqual(await invoke('flaky', 'Flaky.Call'), { ok: true });
    assert.equal(calls, 4);
  });

  it('stops after the maxRetries of the file: the service sees 1 + 3 calls', async () => {
    failing = 100;
    await assert.rejects(invoke('flaky', 'Flaky.Call'), (e: Error) => {
      const answer = JSON.parse(e.message) as { status: number; error_msg: string };
      assert.equal(answer.status, 500);
      assert.match(answer.error_msg, /not this time/);
      return true;
    });
    assert.equal(calls, 4);
  });

  it("ends a call at the file's timeout", async () => {
    const before = slowCalls;
    await assert.rejects(invoke('slow', 'Slow.Call'), (e: Error) => {
      const answer = JSON.parse(e.message) as { status: number; error_msg: string };
      // Dapr's timeout is per attempt: the attempt given up is a 504 (408 when it was the call's own).
      // The 408 names the time left when the attempt began, which a busy machine can round to 299.
      assert.ok(answer.status === 504 || answer.status === 408, answer.error_msg);
      assert.match(answer.error_msg, /within 300 ms|timed out after (29\d|300) ms/);
      return true;
    });
    assert.equal(slowCalls - before, 1);
  });

  describe('with MICRO_RESILIENCY', () => {
    let gateway: Gateway;
    let caller: Service;
    before(async () => {
      process.env.MICRO_RESILIENCY = file;
      try {
        gateway = await createGateway({
          registry,
          address: '127.0.0.1:0',
          log: false,
          trace: false,
        });
        caller = createPlatformService({
          name: 'caller',
          registry,
          address: '127.0.0.1:0',
          handleSignals: false,
          logger: quiet,
        });
      } finally {
        delete process.env.MICRO_RESILIENCY;
      }
    });
    after(() => closeAll(gateway, caller));

    it('the gateway retries as the file says (without it, a 500 is never retried there)', async () => {
      failing = 3;
      const res = await fetch(`http://${gateway.address}/flaky/Flaky/Call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { ok: true });
      assert.equal(calls, 4);
    });

    it("the gateway ends a call at the file's timeout", async () => {
      const res = await fetch(`http://${gateway.address}/slow/Slow/Call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.ok(res.status === 504 || res.status === 408, String(res.status));
      assert.match(
        ((await res.json()) as { detail: string }).detail,
        /within 300 ms|timed out after (29\d|300) ms/,
      );
    });

    it("a platform service's client retries as the file says", async () => {
      failing = 3;
      assert.deepEqual(await caller.client.call('flaky', 'Flaky.Call', {}), { ok: true });
      assert.equal(calls, 4);
      failing = 100;
      await assert.rejects(caller.client.call('flaky', 'Flaky.Call', {}), { code: 500 });
      assert.equal(calls, 8);
    });

    it('micro call retries as the file says', async () => {
      failing = 3;
      const run = await micro(['call', 'flaky', 'Flaky.Call', '{}'], {
        env: { MICRO_RESILIENCY: file, MICRO_REGISTRY_ADDRESS: plane.address },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), { ok: true });
      assert.equal(calls, 4);
    });
  });
});
