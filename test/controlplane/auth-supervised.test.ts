// Services `micro run -d` starts under a control plane with auth on: each runs as its own service
// account, given in its environment only (never in `micro ps`, the runtime's table or a log); one
// killed and restarted by the supervisor keeps working with a fresh token; and no log in the data
// folder holds the admin secret, a service secret or a token.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { AuthCalls, callWith, until, type Answer } from '../helpers/auth-calls.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';
import { scratchDir } from '../helpers/lifecycle.ts';

const framework = pathToFileURL(join(import.meta.dirname, '../../src/index.ts')).href;

/** A greeter that keeps the last name it greeted in its store (a call to the platform with its token). */
const source = (greeting = 'Hello') => `
const GREETING = ${JSON.stringify(greeting)};
import { createService } from ${JSON.stringify(framework)};
const service = createService({ name: 'greeter', logger: { info() {}, warn() {}, error() {} } });
service.handle('Say', {
  async Hello(req: { name: string }) {
    await service.store.put('last', req.name);
    return { msg: GREETING + ' ' + req.name, pid: process.pid };
  },
});
await service.start();
`;

interface Proc {
  name: string;
  pid?: number;
  status: string;
  registered: string[];
}

/** Every file under dir, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** The environment a process was started with, from /proc. */
function environOf(pid: number): Record<string, string> {
  const text = readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    text
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

describe('supervised services under a control plane with auth on', () => {
  let plane: TestControlPlane;
  let auth: AuthCalls;
  let admin: string;
  const dir = scratchDir('micro-auth-svc-');
  const file = join(dir, 'greeter', 'main.ts');
  const secrets: string[] = [];

  const runtimeAs = (token: string | undefined, endpoint: string, body: unknown): Promise<Answer> =>
    callWith(plane.services.runtime ?? '', 'runtime', `Runtime.${endpoint}`, body, token);
  const runtime = (endpoint: string, body: unknown): Promise<Answer> =>
    runtimeAs(admin, endpoint, body);
  const greeter = async (): Promise<Proc> => {
    const a = await runtime('List', {});
    assert.equal(a.status, 200, JSON.stringify(a.body));
    const p = (a.body.processes as Proc[]).find((x) => x.name === 'greeter');
    assert.ok(p, 'greeter is supervised');
    return p;
  };
  const hello = async (token?: string): Promise<Answer> => {
    const found = await callWith(
      plane.address,
      'registry',
      'Registry.GetService',
      { name: 'greeter' },
      admin,
    );
    if (found.status !== 200) return found;
    const [svc] = found.body.services as { nodes: { address: string }[] }[];
    const node = svc?.nodes.at(-1);
    if (!node) return { status: 404, body: {} };
    return callWith(node.address, 'greeter', 'Say.Hello', { name: 'Ada' }, token);
  };

  before(async () => {
    mkdirSync(join(dir, 'greeter'));
    writeFileSync(file, source());
    plane = await startTestControlPlane('micro-auth-supervised-', { auth: true, supervise: true });
    auth = new AuthCalls(plane);
    admin = await auth.admin();
    secrets.push(plane.adminSecret ?? '', admin);
  });
  after(async () => {
    await runtime('Delete', { name: 'greeter' }).catch(() => undefined);
    await plane?.stop();
  });

  it('refuses to start a service for a caller with no token (401) or no rule (403)', async () => {
    assert.equal(
      (await runtimeAs(undefined, 'Create', { name: 'greeter', path: file })).status,
      401,
    );
    const bob = await auth.account('bob', 'user');
    secrets.push(bob);
    const refused = await runtimeAs(bob, 'Create', { name: 'greeter', path: file });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    // A service account may call services, but not have the runtime start processes.
    const svc = await auth.account('worker', 'service');
    secrets.push(svc);
    const denied = await runtimeAs(svc, 'Create', { name: 'greeter', path: file });
    assert.equal(denied.status, 403, JSON.stringify(denied.body));
    assert.equal(
      (
        await runtime('Create', {
          name: 'x',
          path: file,
          env: { MICRO_AUTH_SECRET: 'mine-0123456789' },
        })
      ).status,
      400,
    );
  });

  it('starts a service as its own account, whose secret is in its environment only', async () => {
    const a = await runtime('Create', { name: 'greeter', path: file, wait: 20_000, watch: true });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.ready, 'registered', JSON.stringify(a.body));
    const p = await greeter();
    const env = environOf(p.pid!);
    assert.equal(env.MICRO_AUTH, 'on');
    assert.equal(env.MICRO_AUTH_ID, 'greeter');
    assert.ok((env.MICRO_AUTH_SECRET ?? '').length >= 12);
    assert.equal(env.MICRO_AUTH_ADMIN_SECRET, undefined);
    secrets.push(env.MICRO_AUTH_SECRET!);
    const account = await auth.call<{ account: { type: string } }>(
      'GetAccount',
      { id: 'greeter' },
      admin,
    );
    assert.equal(account.account.type, 'service');
    const listed = JSON.stringify((await runtime('List', {})).body);
    assert.ok(!listed.includes(env.MICRO_AUTH_SECRET!), 'micro ps shows the secret');
    for (const f of files(plane.dataDir).filter((f) => f.includes('micro.db')))
      assert.ok(
        !readFileSync(f).includes(env.MICRO_AUTH_SECRET!),
        `${f} keeps the secret as it is`,
      );
  });

  it('serves callers with a token, and refuses one without', async () => {
    const ok = await hello(admin);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.msg, 'Hello Ada');
    assert.equal((await hello()).status, 401);
  });

  it('keeps working after it is killed and restarted, with a fresh token', async () => {
    const before = await greeter();
    process.kill(before.pid!, 'SIGKILL');
    let now = await greeter();
    for (
      let i = 0;
      i < 200 &&
      (now.pid === before.pid || now.pid === undefined || !now.registered.includes('greeter'));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
      now = await greeter();
    }
    assert.notEqual(now.pid, before.pid);
    assert.ok(now.registered.includes('greeter'), JSON.stringify(now));
    const ok = await until(200, () => hello(admin));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.pid, now.pid);
  });

  it('reloads it when its file changes, the control plane checking the new process with its own token', async () => {
    writeFileSync(file, source('Hi'));
    let a = await hello(admin);
    for (let i = 0; i < 200 && a.body.msg !== 'Hi Ada'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      a = await hello(admin);
    }
    assert.equal(a.body.msg, 'Hi Ada', JSON.stringify(a.body));
    // The new process answers before the old one is stopped: the log says when it is done.
    const logOf = () => readFileSync(join(plane.dataDir, 'logs', 'greeter.log'), 'utf8');
    for (let i = 0; i < 200 && !/micro: (reloaded|the new version did not)/.test(logOf()); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(logOf(), /micro: reloaded in/);
  });

  it('logs no secret and no token in the data folder', async () => {
    const logs = files(plane.dataDir).filter((f) => f.endsWith('.log'));
    assert.ok(logs.length > 0, 'the supervised service has a log');
    for (const f of logs) {
      const text = readFileSync(f, 'utf8');
      for (const s of secrets.filter(Boolean))
        assert.ok(!text.includes(s), `${f} holds a secret or token`);
      assert.doesNotMatch(text, /eyJ[\w-]+\.[\w-]+\.[\w-]+/, `${f} holds a JWT`);
    }
  });
});
