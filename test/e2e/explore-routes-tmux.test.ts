// `micro explore` in a real terminal (a private tmux server) against a control plane: `r` on the
// services list opens the routes screen, which shows a traffic rule set in the control plane's
// config (match, weight bars, stickiness, mirror) and the circuit a caller's breaker opened to a
// failing node; `a` shows the closed circuits too, esc goes back to the services.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MetricsReport } from '../../src/platform/metrics/metrics.ts';
import { routesFromEnv } from '../../src/platform/routing/index.ts';
import type { Routes } from '../../src/platform/routing/routing.ts';
import { createService, type PlatformService } from '../../src/platform/service.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry } from '../../src/runtime/index.ts';
import type { ResiliencyPolicy } from '../../src/runtime/resilience/policy.ts';
import { microInTerminal } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, quiet } from '../helpers/fixtures.ts';
import type { RunningServer } from '../helpers/server-process.ts';
import { TMUX, tmuxServer } from '../helpers/terminal.ts';

describe('micro explore in tmux: routes and circuits', () => {
  const server = tmuxServer('micro-explore-routes-test');
  let plane: RunningServer;
  let registry: Registry;
  let routes: Routes;
  let home: string;
  let micro: string;
  const services: PlatformService[] = [];
  const start = async (
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

  before(async () => {
    assert.equal(spawnSync(TMUX, ['-V']).status, 0, `${TMUX} is needed for this test`);
    plane = await startTestControlPlane('micro-explore-routes-', {
      env: { MICRO_METRICS_INTERVAL: '200' },
    });
    registry = createMicroRegistry({ address: plane.address });
    home = mkdtempSync(join(tmpdir(), 'micro-explore-routes-'));
    micro = microInTerminal(home, plane.address);
  });
  after(async () => {
    server.stop();
    await routes?.close();
    for (const s of services.reverse()) await s.stop();
    await closeAll(registry, plane);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('shows the rules and the open circuit, closed ones on `a`', async (t) => {
    const flaky = await start('flaky', (s) =>
      s.handle('Flaky', {
        Call: () => {
          throw new Error('always fails');
        },
      }),
    );
    const caller = await start('caller', () => undefined, {
      targets: { flaky: { retries: 0, breaker: { failures: 2, openFor: 600_000 } } },
    });
    routes = routesFromEnv({}, { client: caller.client, author: 'test' });
    await routes.set({
      service: 'greeter',
      routes: [
        {
          name: 'canary',
          match: { endpoint: 'Say.*' },
          to: [
            { version: '1.0.0', weight: 90 },
            { version: '2.0.0', weight: 10 },
          ],
          sticky: 'x-user-id',
          mirror: { version: '3.0.0', percent: 5 },
        },
      ],
    });
    for (let i = 0; i < 3; i++) await assert.rejects(caller.client.call('flaky', 'Flaky.Call', {}));
    for (let i = 0, seen = false; !seen; i++) {
      assert.ok(i < 200, 'the metrics service never showed the open circuit');
      const report = await caller.client.call<MetricsReport>('metrics', 'Metrics.Query', {
        service: 'caller',
      });
      seen = report.circuits?.some((n) => n.circuits.some((c) => c.state === 'open')) === true;
      if (!seen) await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const term = server.terminal('routes', `${micro} explore`, 160, 40);
    await term.screenWith(/SERVICES \(\d+\)/, 30_000);
    term.keys('r');
    const rows = await term.screenWith(/RULES \(1\)[\s\S]*CIRCUITS \(1 not closed of \d+\)/);
    const shown = rows.join('\n');
    t.diagnostic(`the routes screen:\n${shown.trimEnd()}`);
    assert.match(rows[0] ?? '', /^micro explore\s+routes\s/);
    assert.match(shown, /^\s+greeter$/m);
    assert.match(
      shown,
      /^\s+1 canary {2}Say\.\* {2}→ 1\.0\.0 90% █████████░ {2}2\.0\.0 10% █░░░░░░░░░ {2}sticky x-user-id {2}mirror 5% → 3\.0\.0$/m,
    );
    const open = new RegExp(
      `^\\s+${caller.server.id.slice(0, 26)}.*\\s+flaky\\s+${flaky.server.id.slice(0, 26)}.*\\s+open\\s+[2-9]\\s+\\d+s ago`,
      'm',
    );
    assert.match(shown, open);
    assert.doesNotMatch(shown, /\sclosed\s+0\s+-/);
    // a: the closed circuits too (the caller's to the control plane's services).
    term.keys('a');
    await term.screenWith(/CIRCUITS \(\d+\)[\s\S]*\sclosed\s+0\s+-/);
    term.keys('Escape');
    await term.screenWith(/SERVICES \(\d+\)/);
  });
});
