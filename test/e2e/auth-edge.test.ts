// `micro api` and `micro sidecar` run as a user runs them with MICRO_AUTH=on against a real control
// plane: their own account from MICRO_AUTH_ID/SECRET, tokens from their /oauth/token, requests
// without one refused with 401, and neither the secret nor a token in anything they print.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { bootstrapAuth } from '../../src/platform/auth/bootstrap.ts';
import { createMicroAuth } from '../../src/platform/auth/client.ts';
import type { Auth } from '../../src/platform/auth/auth.ts';
import { bin, closedAddress } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import type { RunningServer } from '../helpers/server-process.ts';

const ADMIN = 'admin-secret-for-edges-0123';
const EDGE = 'edge-secret-for-edges-4567';

/** A long-running `micro <args>` with the auth environment; resolves once it prints `listening`. */
async function start(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; output: () => string }> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('MICRO_') && k !== 'NODE_TEST_CONTEXT') clean[k] = v;
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const read = (d: Buffer) => {
      output += d.toString();
      if (output.includes('listening')) resolve();
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`micro ${args[0]} exited (${code}): ${output}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await ready.finally(() => clearTimeout(timer));
  return { child, output: () => output };
}

describe('micro api and micro sidecar with MICRO_AUTH=on', () => {
  let plane: RunningServer;
  let auth: Auth;
  const running: ChildProcess[] = [];
  const outputs: (() => string)[] = [];
  const edges: [string, string][] = [];

  before(async () => {
    plane = await startTestControlPlane('micro-auth-edge-');
    auth = createMicroAuth({ address: plane.address });
    await bootstrapAuth(auth, { MICRO_AUTH_ADMIN_SECRET: ADMIN });
    await auth.createAccount({ id: 'edge', type: 'service', secret: EDGE });
    const env = {
      MICRO_AUTH: 'on',
      MICRO_AUTH_ID: 'edge',
      MICRO_AUTH_SECRET: EDGE,
      MICRO_REGISTRY_ADDRESS: plane.address,
    };
    const api = await closedAddress();
    const sidecar = await closedAddress();
    for (const [name, args, address] of [
      ['gateway', ['api', '--api-address', api], api],
      ['sidecar', ['sidecar', '--sidecar-address', sidecar], sidecar],
    ] as const) {
      const s = await start([...args], env);
      running.push(s.child);
      outputs.push(s.output);
      edges.push([name, `http://${address}`]);
    }
  });
  after(async () => {
    for (const c of running) {
      if (c.exitCode !== null || c.pid === undefined) continue;
      const gone = once(c, 'exit');
      process.kill(c.pid, 'SIGTERM');
      await gone;
    }
    await auth.close();
    await plane.stop();
  });

  it('refuses requests without a token, issues tokens at /oauth/token, and lets them in', async () => {
    const tokens: string[] = [];
    for (const [name, base] of edges) {
      const path = name === 'gateway' ? '/openapi.json' : '/v1.0/metadata';
      const none = await fetch(`${base}${path}`);
      assert.equal(none.status, 401, name);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="micro"');
      const issued = await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: ADMIN }),
      });
      assert.equal(issued.status, 200, `${name}: ${await issued.clone().text()}`);
      const token = String(((await issued.json()) as { access_token: string }).access_token);
      tokens.push(token);
      const ok = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200, `${name}: ${await ok.clone().text()}`);
    }
    for (const out of outputs) {
      const text = out();
      assert.ok(!text.includes(EDGE) && !text.includes(ADMIN), 'a secret was printed');
      for (const t of tokens) assert.ok(!text.includes(t), 'a token was printed');
    }
  });
});
