// `micro run --auth` as a user tries it, every part a real process: the first start prints the admin
// secret once; `micro login` with it; a service made by `micro new` and run with `micro run -d`;
// `micro call`; the API gateway with and without `Authorization: Bearer $(micro auth token)`, and
// with a token of a key rotated in just before; the dashboard's login over HTTP and a page's API call with its cookie. Nothing micro run prints holds
// a token or a secret, but for the one line that shows the admin's secret.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { bin, micro } from '../helpers/cli.ts';
import { scratchDir } from '../helpers/lifecycle.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

/** A JWT (three base64url parts, the first a JSON object) or a refresh token anywhere in a text. */
const TOKEN = /eyJ[\w-]+\.[\w-]+\.[\w-]+|mrt_[\w-]{20,}/;

describe('micro run --auth, as a user tries it', () => {
  after(stopAll);

  it('logs in, runs and calls a service, through the CLI, the gateway and the dashboard', async () => {
    const dir = scratchDir('micro-run-auth-e2e-');
    const address = async (): Promise<string> => `127.0.0.1:${await freePort()}`;
    const [registry, api, web] = [await address(), await address(), await address()];
    const env = {
      MICRO_DATA_DIR: join(dir, 'data'),
      MICRO_CONFIG_DIR: join(dir, 'config'),
      MICRO_REGISTRY_ADDRESS: registry,
      MICRO_API_ADDRESS: api,
      MICRO_WEB_ADDRESS: web,
    };
    const plane = startNode(bin, ['run', '--auth'], env);
    await plane.waitFor(/Press Ctrl-C/, 30_000);
    const [, secret] = await plane.waitFor(/^auth: created account admin; .*: (\S+)$/);
    assert.ok(secret && secret.length >= 12);
    assert.ok(plane.lines.includes('log in with: micro login --id admin'));
    assert.ok(plane.lines.some((l) => l.startsWith(`  api        ${api}`)));
    assert.ok(plane.lines.some((l) => l.startsWith(`  mcp        http://${api}/mcp`)));
    assert.ok(plane.lines.some((l) => l.startsWith(`  web        ${web}`)));

    const run = (args: string[], input?: string) => micro(args, { env, cwd: dir, input });
    const login = await run(['login', '--id', 'admin', '--secret-stdin'], `${secret}\n`);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, new RegExp(`^logged in as admin at ${registry}`));

    const made = await run(['new', 'greeter']);
    assert.equal(made.code, 0, made.stderr);
    const detached = await run(['run', '-d', './greeter', '--wait', '15']);
    assert.equal(detached.code, 0, detached.stderr);
    assert.match(detached.stdout, /^greeter is running/);
    const called = await run(['call', 'greeter', 'Say.Hello', '{"name":"Ann"}']);
    assert.equal(called.code, 0, called.stderr);
    assert.deepEqual(JSON.parse(called.stdout), { msg: 'Hello Ann' });

    // The gateway: with the logged-in user's token it answers, without one it is a 401.
    const printed = await run(['auth', 'token']);
    assert.equal(printed.code, 0, printed.stderr);
    const token = printed.stdout.trim();
    const hello = (headers: Record<string, string>) =>
      fetch(`http://${api}/greeter/Say/Hello`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"name":"Ann"}',
      });
    const allowed = await hello({ authorization: `Bearer ${token}` });
    assert.equal(allowed.status, 200);
    assert.deepEqual(await allowed.json(), { msg: 'Hello Ann' });
    const anonymous = await hello({});
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="micro"');
    const refusal = (await anonymous.json()) as { code: number; detail: string };
    assert.equal(refusal.code, 401);
    assert.match(refusal.detail, /needs a token/);

    // An agent at the gateway's /mcp, with the user's token: its call is audited (the gateway
    // reports it with its own account, as the audit service asks of any reporter).
    const agent = new Client({ name: 'e2e-agent', version: '1' });
    await agent.connect(
      new StreamableHTTPClientTransport(new URL(`http://${api}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    const answered = await agent.callTool({ name: 'greeter.Say.Hello', arguments: { name: 'Al' } });
    assert.deepEqual(answered.structuredContent, { msg: 'Hello Al' });
    await agent.close();
    let audited: { actor: string; action: string; reporter: string }[] = [];
    for (let i = 0; i < 50 && audited.length === 0; i++) {
      const listed = await run(['mcp', 'audit', '--output', 'json']);
      assert.equal(listed.code, 0, listed.stderr);
      audited = (JSON.parse(listed.stdout) as typeof audited).filter(
        (e) => e.action === 'greeter.Say.Hello',
      );
      if (audited.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(audited[0]?.actor, 'admin', 'the gateway audits the call of the /mcp agent');

    // micro mcp as a user no rule lets call greeter: it lists no tool, and a call is refused by
    // micro mcp itself, as the gateway would for the same user's agent.
    const made2 = await run(
      ['auth', 'accounts', 'create', 'carl', '--secret-stdin'],
      'carl-secret-0123\n',
    );
    assert.equal(made2.code, 0, made2.stderr);
    const carlEnv = { ...env, MICRO_CONFIG_DIR: join(dir, 'carl') };
    const asCarl = (args: string[], input?: string) =>
      micro(args, { env: carlEnv, cwd: dir, input });
    const carlIn = await asCarl(['login', '--id', 'carl', '--secret-stdin'], 'carl-secret-0123\n');
    assert.equal(carlIn.code, 0, carlIn.stderr);
    const [adminTools, carlTools] = await Promise.all([
      run(['mcp', 'list', '-o', 'json']),
      asCarl(['mcp', 'list', '-o', 'json']),
    ]);
    const namesOf = (r: { stdout: string }) =>
      (JSON.parse(r.stdout) as { name: string }[]).map((t) => t.name);
    assert.deepEqual(namesOf(adminTools), ['greeter.Say.Hello']);
    assert.deepEqual(namesOf(carlTools), []);
    const carlCall = await asCarl(['mcp', 'call', 'greeter.Say.Hello', '{"name":"Cy"}']);
    assert.equal(carlCall.code, 1);
    const refusedJson = JSON.parse(carlCall.stderr.trim().split('\n').at(-1)!) as {
      id: string;
      code: number;
    };
    assert.deepEqual([refusedJson.id, refusedJson.code], ['micro.mcp', 403]);

    // A key rotated in: a token it signed is taken at once, by the gateway and by the service.
    const rotated = await run(['auth', 'keys', 'rotate']);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /^rotated the signing key/);
    const again = await run(['login', '--id', 'admin', '--secret-stdin'], `${secret}\n`);
    assert.equal(again.code, 0, again.stderr);
    const fresh = (await run(['auth', 'token'])).stdout.trim();
    assert.notEqual(fresh, token);
    const renewed = await hello({ authorization: `Bearer ${fresh}` });
    assert.equal(renewed.status, 200, await renewed.clone().text());
    assert.deepEqual(await renewed.json(), { msg: 'Hello Ann' });

    // The dashboard: its API needs a session; logging in over HTTP gives the cookie that opens it.
    const services = (cookie?: string) =>
      fetch(`http://${web}/_/api/services`, { headers: cookie ? { cookie } : {} });
    assert.equal((await services()).status, 401);
    const session = await fetch(`http://${web}/_/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'admin', secret }),
    });
    assert.equal(session.status, 200);
    assert.deepEqual(await session.json(), {
      auth: true,
      id: 'admin',
      type: 'user',
      roles: ['admin'],
    });
    const cookie = session.headers.get('set-cookie')?.split(';', 1)[0];
    assert.match(cookie ?? '', /^micro_session=/);
    const listed = await services(cookie);
    assert.equal(listed.status, 200);
    const names = ((await listed.json()) as { services: { name: string }[] }).services.map(
      (s) => s.name,
    );
    assert.ok(names.includes('greeter'), `the dashboard lists ${names.join(', ')}`);

    // Nothing micro run printed holds a token or a secret, but the line that shows the admin's.
    assert.equal(await plane.stop('SIGINT'), 0);
    const shown = plane.lines.filter((l) => l.includes(secret));
    assert.equal(shown.length, 1, `the admin secret shows on one line:\n${shown.join('\n')}`);
    for (const line of plane.lines) {
      assert.doesNotMatch(line, TOKEN);
      for (const t of [token, fresh]) assert.ok(!line.includes(t), `a line shows a token: ${line}`);
    }
  });
});
