// `micro explore` from the built single executable, in a real terminal: a private tmux server runs
// it against a control plane and a greeter; the test types as a user would and reads the screen.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBench, type Bench } from '../helpers/cli.ts';
import { distBinary, ensureBuilt } from '../helpers/sea.ts';
import { TMUX, tmuxServer } from '../helpers/terminal.ts';

const server = tmuxServer('micro-explore-test');
const { terminal } = server;

describe('micro explore in tmux (the built binary)', () => {
  let bench: Bench;
  let home: string;
  /** The binary alone, in a user's bare environment, pointed at the test's control plane. */
  let micro: string;
  before(async () => {
    ensureBuilt(distBinary);
    assert.equal(spawnSync(TMUX, ['-V']).status, 0, `${TMUX} is needed for this test`);
    bench = await startBench();
    home = mkdtempSync(join(tmpdir(), 'micro-explore-'));
    micro = [
      'env -i',
      `HOME=${home}`,
      'TERM=tmux-256color',
      `MICRO_REGISTRY_ADDRESS=${bench.controlPlane.address}`,
      distBinary,
    ].join(' ');
  });
  after(async () => {
    server.stop();
    await bench?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('opens greeter, calls Say.Hello with {"name":"Ann"}, redraws on resize and quits on q', async (t) => {
    const term = terminal('call', `${micro} explore`);
    let rows = await term.screenWith(/greeter\s+1\.0\.0\s+1\s+6/);
    assert.match(rows[0] ?? '', /^micro explore\s+services\s+registry micro at 127\.0\.0\.1:\d+$/);
    assert.match(rows.join('\n'), /registry\s+latest\s+1/);
    assert.match(
      rows[39] ?? '',
      /↑↓\/jk move\s+enter open\s+\/ filter\s+t topics\s+r routes\s+m mcp\s+b bot\s+tab views\s+q quit/,
      'the footer on the last row',
    );

    // Filter to greeter and open it.
    term.keys('/');
    await term.screenWith(/filter \//);
    term.type('gre');
    rows = await term.screenWith(/SERVICES \(1 of \d+\)\s+filter \/gre/);
    assert.doesNotMatch(rows.join('\n'), /^\s+registry\s+latest/m);
    term.keys('Enter');
    rows = await term.screenWith(/HEALTH[\s\S]*ok \d/);
    const text = rows.join('\n');
    assert.ok(text.includes(bench.greeter.server.address), 'the node address');
    assert.match(text, /VERSIONS \(1\)\s+1\.0\.0\s+1 node\s+team=core/);
    assert.match(text, /› Say\.Count\s+stream=server/);

    // Say.Hello is the second endpoint: move to it, see its schema, and call it.
    term.keys('j');
    await term.screenWith(/› Say\.Hello[\s\S]*\{ name: string \}/);
    term.keys('c');
    rows = await term.screenWith(/request \(JSON\)[\s\S]*"name": ""/);
    assert.match(rows.at(-1) ?? '', /ctrl-s send\s+ctrl-u clear\s+esc back/);
    // The editor takes keys once its input handler is attached, which React does just after the
    // frame is drawn: clear until the template is gone, then type.
    for (let tries = 1; ; tries++) {
      term.keys('C-u');
      try {
        await term.screenWith((r) => !r.join('\n').includes('"name": ""'), 2000);
        break;
      } catch (err) {
        if (tries === 5) throw err;
      }
    }
    term.type('{"name":"Ann"}');
    await term.screenWith(/\{"name":"Ann"\}/);
    term.keys('C-s');
    rows = await term.screenWith(/"msg": "Hello Ann"/);
    assert.match(rows.join('\n'), /RESPONSE\s+200 OK\s+[\d.]+ m?s\s+from 127\.0\.0\.1:\d+/);
    t.diagnostic(`the screen after the call:\n${rows.join('\n').trimEnd()}`);

    // A smaller terminal: everything is laid out again within 80 columns and 24 rows.
    term.resize(80, 24);
    rows = await term.screenWith(
      (r) =>
        r.length === 24 &&
        /ctrl-s send/.test(r[23] ?? '') &&
        /^micro explore.*127\.0\.0\.1:\d+$/.test(r[0] ?? ''),
    );
    assert.ok(
      rows.every((r) => r.length <= 80),
      'no row wider than the terminal',
    );
    const drawn = rows.join('\n');
    assert.equal(
      drawn.split('micro explore').length - 1,
      1,
      'one header: nothing left of the old frame',
    );
    assert.match(drawn, /"msg": "Hello Ann"/, 'the response is still shown');
    assert.match(drawn, /╭─{78}╮/, 'the editor box spans the new width');
    term.resize(120, 40);
    rows = await term.screenWith((r) => r.length === 40 && /ctrl-s send/.test(r[39] ?? ''));
    assert.match(rows.join('\n'), /╭─{118}╮/);

    // Esc goes back to the service, q quits: the program ends with 0 and leaves the screen it drew.
    term.keys('Escape');
    await term.screenWith(/NODES \(1\)/);
    term.keys('q');
    rows = await term.screenWith(/exited with \d+/);
    assert.match(rows.join('\n'), /exited with 0/);
    assert.doesNotMatch(rows.join('\n'), /micro explore|NODES/, 'the alternate screen is gone');
  });

  it('shows the topics on t, not among the services, and the services again on s', async () => {
    const term = terminal('topics', `${micro} explore`);
    let rows = await term.screenWith(/greeter\s+1\.0\.0\s+1\s+6/);
    assert.doesNotMatch(rows.join('\n'), /topic:/, 'the greeter subscriber is no service');
    term.keys('t');
    rows = await term.screenWith(/TOPICS \(1\)[\s\S]*events\s+1\s+-\s+greeter/);
    assert.match(rows[0] ?? '', /^micro explore\s+topics\s+registry micro/);
    assert.match(rows[39] ?? '', /↑↓\/jk move\s+s\/esc services\s+tab views\s+q quit/);
    term.keys('s');
    await term.screenWith(/SERVICES \(\d+\)/);
    term.keys('q');
    rows = await term.screenWith(/exited with \d+/);
    assert.match(rows.join('\n'), /exited with 0/);
  });

  it('quits on Ctrl-C, also from the request editor', async () => {
    const term = terminal('ctrl-c', `${micro} ui greeter`);
    await term.screenWith(/› Say\.Count/);
    term.keys('c');
    await term.screenWith(/request \(JSON\)/);
    term.keys('C-c');
    const rows = await term.screenWith(/exited with \d+/);
    assert.match(rows.join('\n'), /exited with 0/);
    assert.doesNotMatch(rows.join('\n'), /request \(JSON\)/);
  });

  it('says it needs a terminal and exits 1 when stdin or stdout is not one', async () => {
    // stdout is the terminal, stdin is not.
    const term = terminal('no-stdin', `${micro} explore </dev/null`);
    const rows = await term.screenWith(/exited with \d+/);
    assert.match(rows.join('\n'), /exited with 1/);
    assert.match(rows.join('\n'), /"code":400/);
    assert.match(rows.join('\n'), /needs a terminal \(stdin is not one\)/);

    // Neither is a terminal.
    const r = spawnSync(distBinary, ['explore'], {
      env: { HOME: home, MICRO_REGISTRY_ADDRESS: bench.controlPlane.address },
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '', 'nothing drawn');
    const error = JSON.parse(r.stderr) as { id: string; code: number; detail: string };
    assert.equal(error.id, 'micro.cli');
    assert.equal(error.code, 400);
    assert.match(error.detail, /needs a terminal \(stdout is not one\).*micro list services/);
  });
});
