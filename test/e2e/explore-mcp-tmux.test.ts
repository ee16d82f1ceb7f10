// `micro explore` in a real terminal (a private tmux server) against a control plane: `m` on the
// services list opens the MCP screen, which lists the tools agents see of two running services
// (the platform's own hidden, a stream's kind shown), a tool's schemas on enter, and the tool
// calls an MCP server reported to the control plane's audit service, newest first; esc goes back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMicroAudit } from '../../src/platform/audit/index.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry, Service } from '../../src/runtime/index.ts';
import { auditRecord } from '../helpers/audit-events.ts';
import { microInTerminal } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, greeterService, quietService, streamHandlers } from '../helpers/fixtures.ts';
import type { RunningServer } from '../helpers/server-process.ts';
import { TMUX, tmuxServer } from '../helpers/terminal.ts';

describe('micro explore in tmux: the MCP screen', () => {
  const server = tmuxServer('micro-explore-mcp-test');
  let plane: RunningServer;
  let registry: Registry;
  let home: string;
  const services: Service[] = [];

  before(async () => {
    assert.equal(spawnSync(TMUX, ['-V']).status, 0, `${TMUX} is needed for this test`);
    plane = await startTestControlPlane('micro-explore-mcp-');
    registry = createMicroRegistry({ address: plane.address });
    home = mkdtempSync(join(tmpdir(), 'micro-explore-mcp-'));
    const greeter = greeterService(registry);
    const counter = quietService({ name: 'counter', registry, address: '127.0.0.1:0' });
    counter.handle('Stream', streamHandlers());
    for (const s of [greeter, counter]) {
      await s.start();
      services.push(s);
    }
  });
  after(async () => {
    server.stop();
    for (const s of services.reverse()) await s.stop();
    await closeAll(registry, plane);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('lists the tools, a tool schemas on enter, and the audited calls', async (t) => {
    // An MCP server reports its calls to the control plane, which publishes them on micro.audit.
    const audit = createMicroAudit({ client: services[0]!.client });
    audit.report(auditRecord({ ms: 4 }));
    audit.report(
      auditRecord({
        actor: 'bob',
        action: 'counter.Stream.Count',
        target: 'service:counter:Stream.Count',
        result: 'refused',
        code: 403,
        ms: 1,
      }),
    );
    await audit.close();

    const term = server.terminal('mcp', `${microInTerminal(home, plane.address)} explore`);
    await term.screenWith(/SERVICES \(\d+\)[\s\S]*r routes\s+m mcp/, 30_000);
    term.keys('m');
    let rows = await term.screenWith(/TOOLS \(4\)[\s\S]*CALLS \(2\)/);
    let shown = rows.join('\n');
    t.diagnostic(`the MCP screen:\n${shown.trimEnd()}`);
    assert.match(rows[0] ?? '', /^micro explore\s+mcp\s/);
    assert.match(shown, /stdio: micro mcp serve/);
    // Ordered by name; the control plane's own services are no tools.
    assert.match(
      shown,
      /› counter\.Stream\.Count\s+server\s+service:counter:Stream\.Count\s+[\s\S]*counter\.Stream\.Shout\s+bidi\s[\s\S]*counter\.Stream\.Sum\s+client\s[\s\S]*greeter\.Say\.Hello\s+-\s+service:greeter:Say\.Hello/,
    );
    assert.doesNotMatch(shown, /registry\.|store\.|audit\./);
    assert.match(
      shown,
      /MS\s+\S+\s+bob\s+counter\.Stream\.Count\s+refused\s+403\s+1\s+\S+\s+alice\s+greeter\.Say\.Hello\s+ok\s+200\s+4/,
    );
    // The greeter's schemas on enter.
    term.keys('j', 'j', 'j');
    await term.screenWith(/› greeter\.Say\.Hello/);
    term.keys('Enter');
    rows = await term.screenWith(/SCHEMAS greeter\.Say\.Hello/);
    shown = rows.join('\n');
    assert.match(shown, /input schema\s+\{\s+"type": "object",\s+"properties": \{\s+"name"/);
    assert.match(shown, /output schema\s+\{\s+"type": "object",\s+"properties": \{\s+"msg"/);
    assert.match(rows.at(-1) ?? '', /pgup\/pgdn scroll schemas\s+enter calls\s+esc calls\s+q quit/);
    term.keys('Escape');
    await term.screenWith(/CALLS \(2\)/);
    term.keys('Escape');
    await term.screenWith(/SERVICES \(\d+\)/);
    term.keys('q');
    await term.screenWith(/exited with 0/);
  });
});
