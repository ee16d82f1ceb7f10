// `micro explore` in a real terminal (a private tmux server) against a control plane: a call made
// from the call screen shows its trace beneath the response as a compact waterfall, read from the
// control plane's trace service (the greeter writes its call's spans there, as its exporter would).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { SpanRecord } from '../../src/platform/trace/trace.ts';
import {
  createClient,
  endpoint,
  type Client,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { microInTerminal } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, nameSchema, quietService } from '../helpers/fixtures.ts';
import type { RunningServer } from '../helpers/server-process.ts';
import { TMUX, tmuxServer } from '../helpers/terminal.ts';

describe('micro explore in tmux: the last call’s trace', () => {
  const server = tmuxServer('micro-explore-trace-test');
  let plane: RunningServer;
  let registry: Registry;
  let client: Client;
  let greeter: Service;
  let home: string;
  let micro: string;
  before(async () => {
    assert.equal(spawnSync(TMUX, ['-V']).status, 0, `${TMUX} is needed for this test`);
    plane = await startTestControlPlane('micro-explore-trace-');
    registry = createMicroRegistry({ address: plane.address });
    client = createClient({ registry, name: 'ops' });
    greeter = quietService({ name: 'greeter', registry, address: '127.0.0.1:0' });
    greeter.handle('Say', {
      Hello: endpoint({ request: nameSchema }, async (req: { name: string }) => {
        const start = Date.now();
        const span = (s: Partial<SpanRecord>): SpanRecord => ({
          traceId: '5e'.repeat(16),
          spanId: 'e000000000000001',
          name: 'greeter Say.Hello',
          kind: 'server',
          service: 'greeter',
          endpoint: 'Say.Hello',
          start,
          duration: 30,
          status: 'unset',
          attributes: {},
          ...s,
        });
        await client.call('trace', 'Trace.Write', {
          spans: [
            span({}),
            span({
              spanId: 'e000000000000002',
              parentSpanId: 'e000000000000001',
              name: 'store Store.Read',
              kind: 'client',
              endpoint: 'Store.Read',
              start: start + 15,
              duration: 15,
              status: 'error',
              code: 500,
            }),
          ],
        });
        return { msg: `Hello ${req.name}` };
      }),
    });
    await greeter.start();
    home = mkdtempSync(join(tmpdir(), 'micro-explore-trace-'));
    micro = microInTerminal(home, plane.address);
  });
  after(async () => {
    server.stop();
    await closeAll(greeter, client, registry, plane);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('calls Say.Hello and shows its trace as a waterfall under the response', async (t) => {
    const term = server.terminal('trace', `${micro} explore greeter`, 100, 32);
    await term.screenWith(/› Say\.Hello/, 30_000);
    term.keys('Enter');
    await term.screenWith(/request \(JSON\)/);
    term.keys('C-s');
    const rows = await term.screenWith(/TRACE\s+(5e){16}\s+30\.0ms\s+2 spans\s+1 error/);
    t.diagnostic(`the call screen:\n${rows.join('\n').trimEnd()}`);
    const at = rows.findIndex((r) => r.startsWith('TRACE'));
    assert.match(rows.join('\n'), /200 OK/);
    assert.match(rows[at + 1] ?? '', /^greeter Say\.Hello\s+greeter\s+30\.0ms █{33}\s*$/);
    assert.match(rows[at + 2] ?? '', /^ {2}store Store\.Read\s+greeter\s+15\.0ms {17}█{17}\s*$/);
    term.keys('C-c');
    await term.screenWith(/exited with 0/);
  });
});
