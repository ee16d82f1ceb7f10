// The dashboard with auth on, over real HTTP: the login sets an HttpOnly session cookie and shows
// no token; every /_/api route, event stream and web app refuses a missing, bad, expired, forged,
// unsigned, wrong-audience or revoked session with a 401 (and the challenge the pages act on); a
// valid session whose account no rule allows is a 403; calls are made as the user, so the rules
// apply to the user; an expired access token is renewed once from the refresh token.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SESSION_COOKIE } from '../../../src/ui/web/index.ts';
import { postJson, record } from '../../helpers/fixtures.ts';
import { badTokens } from '../../helpers/tokens.ts';
import {
  ADMIN_SECRET,
  fetchAs,
  loginCookie,
  startAuthedWeb,
  type AuthedWeb,
} from '../../helpers/web-auth.ts';

interface ErrorBody {
  error: { code: number; detail: string };
}

/** The cookie header a Set-Cookie gives (name=value), and its attributes. */
function cookieOf(res: Response): { pair: string; attrs: string[] } {
  const set = res.headers.getSetCookie();
  assert.equal(set.length, 1, `one Set-Cookie: ${set.length}`);
  const [pair = '', ...attrs] = set[0]!.split(';').map((s) => s.trim());
  return { pair, attrs };
}

describe('the dashboard with auth on', () => {
  let w: AuthedWeb;
  let app: Server;
  let seen: { authorization?: string; cookie?: string } = {};
  const routes = [
    ['GET', '/_/api/services'],
    ['GET', '/_/api/session'],
    ['GET', '/_/api/events'],
    ['GET', '/_/api/events/stream'],
    ['GET', '/_/api/store/watch?database=a&table=b'],
    ['GET', '/_/api/auth/accounts'],
    ['GET', '/_/api/health'],
    ['POST', '/_/api/call'],
    ['POST', '/_/api/auth/accounts/create'],
    ['GET', '/chat/'],
  ] as const;

  const login = (id: string, secret: string): Promise<string> => loginCookie(w.base, id, secret);
  const as = (cookie: string, method: string, path: string, body?: unknown) =>
    fetchAs(w.base, cookie, method, path, body);
  /** The status of a WebSocket handshake to the web app (101 when it was let through). */
  const upgrade = (cookie?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${w.base}/chat/socket`, {
        headers: { connection: 'Upgrade', upgrade: 'websocket', ...(cookie && { cookie }) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('upgrade', (_res, socket) => {
        socket.destroy();
        resolve(101);
      });
      req.on('error', reject);
      req.end();
    });
  const refused = async (res: Response, code: number, what: string): Promise<string> => {
    assert.equal(res.status, code, what);
    // /_/api answers {error}; a web app's path the bare shape.
    const json = (await res.json()) as Partial<ErrorBody> & ErrorBody['error'];
    const body = json.error ?? json;
    assert.equal(body.code, code, what);
    if (code === 401)
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="micro"/, what);
    assert.equal(res.headers.getSetCookie().length, 0, `${what}: no cookie`);
    return body.detail;
  };

  before(async () => {
    w = await startAuthedWeb();
    app = createServer((req, res) => {
      seen = { authorization: req.headers.authorization, cookie: req.headers.cookie };
      res.end('chat');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const { port } = app.address() as AddressInfo;
    await w.registry.register(
      record('chat', { address: `127.0.0.1:${port}`, metadata: { handler: 'web' } }),
    );
    await w.auth.createAccount({ id: 'bob', type: 'user', secret: 'bob-secret-12345' });
  });
  after(async () => {
    await w.close();
    await new Promise((r) => app.close(r));
  });

  it('refuses a login with a wrong secret or an unknown account with a 401 and no cookie', async () => {
    for (const [id, secret] of [
      ['admin', 'wrong-secret-123'],
      ['nobody', ADMIN_SECRET],
    ]) {
      const res = await postJson(`${w.base}/_/api/login`, { id, secret });
      assert.match(await refused(res, 401, `${id}`), /wrong id or secret/);
    }
    const empty = await postJson(`${w.base}/_/api/login`, { id: 'admin' });
    assert.equal(empty.status, 400);
    assert.match(((await empty.json()) as ErrorBody).error.detail, /secret is required/);
    // A form post from another site, and a body past the bound, are refused before any grant.
    const form = await fetch(`${w.base}/_/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `id=admin&secret=${ADMIN_SECRET}`,
    });
    assert.ok([403, 415].includes(form.status), `form post: ${form.status}`);
    assert.equal(form.headers.getSetCookie().length, 0);
    const foreign = await postJson(
      `${w.base}/_/api/login`,
      { id: 'admin', secret: ADMIN_SECRET },
      { origin: 'http://evil.example' },
    );
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.getSetCookie().length, 0);
    const big = await postJson(`${w.base}/_/api/login`, { id: 'admin', secret: 'x'.repeat(5000) });
    assert.equal(big.status, 413);
  });

  it('sets an HttpOnly, SameSite=Strict session cookie at login, and shows who is logged in', async () => {
    const res = await postJson(`${w.base}/_/api/login`, { id: 'admin', secret: ADMIN_SECRET });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { auth: true, id: 'admin', type: 'user', roles: ['admin'] });
    const { pair, attrs } = cookieOf(res);
    assert.ok(pair.startsWith(`${SESSION_COOKIE}=`));
    assert.deepEqual(attrs.sort(), ['HttpOnly', 'Path=/', 'SameSite=Strict']);
    const who = await as(pair, 'GET', '/_/api/session');
    assert.deepEqual(await who.json(), { auth: true, id: 'admin', type: 'user', roles: ['admin'] });
    const services = await as(pair, 'GET', '/_/api/services');
    assert.equal(services.status, 200);
    const names = ((await services.json()) as { services: { name: string }[] }).services.map(
      (s) => s.name,
    );
    assert.ok(names.includes('greeter'), names.join());
    // The page itself and the login page carry the strict policy, and no inline script.
    for (const path of ['/', '/_/login']) {
      const page = await fetch(`${w.base}${path}`);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self';/);
      assert.doesNotMatch(await page.text(), /<script(?![^>]*\bsrc=)[^>]*>/, path);
    }
  });

  it('refuses every bad token in the cookie, and no cookie, with a 401 on every route, stream and web app', async () => {
    const bad: Record<string, string> = {
      ...(await badTokens(w.key())),
      'no cookie': '',
      'too long': 'x'.repeat(9000),
    };
    for (const [what, token] of Object.entries(bad)) {
      const cookie = token ? `${SESSION_COOKIE}=${token}` : 'other=1';
      for (const [method, path] of routes) {
        const res = await as(cookie, method, path, method === 'POST' ? {} : undefined);
        const detail = await refused(res, 401, `${what}: ${method} ${path}`);
        assert.ok(!token || !detail.includes(token.slice(0, 40)), 'the token is not echoed');
      }
    }
    // A WebSocket to the web app is refused before it is forwarded, with no cookie or a bad one.
    for (const cookie of [undefined, `${SESSION_COOKIE}=${bad.expired ?? ''}`])
      assert.equal(await upgrade(cookie), 401, `upgrade with ${cookie ? 'a bad' : 'no'} cookie`);
    assert.deepEqual(seen, {}, 'the web app saw nothing');
  });

  it('calls as the user: a rule decides, and a rule added from the Auth routes takes effect', async () => {
    const bob = await login('bob', 'bob-secret-12345');
    const admin = await login('admin', ADMIN_SECRET);
    const hello = { service: 'greeter', endpoint: 'Say.Hello', request: { name: 'Bob' } };
    // A right token with no rule for it: the greeter refuses bob, the auth service too.
    const call = await as(bob, 'POST', '/_/api/call', hello);
    assert.match(
      await refused(call, 403, 'bob calls greeter'),
      /account bob may not service greeter Say\.Hello/,
    );
    const accounts = await as(bob, 'GET', '/_/api/auth/accounts');
    assert.match(await refused(accounts, 403, 'bob lists accounts'), /account bob may not/);
    const ok = await as(admin, 'POST', '/_/api/call', hello);
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { response: unknown }).response, { msg: 'Hello Bob' });

    // The admin adds a rule through the dashboard; bob's call then passes.
    const added = await as(admin, 'POST', '/_/api/auth/rules/create', {
      id: 'bob-greeter',
      who: 'account:bob',
      resource: { kind: 'service', name: 'greeter', action: '*' },
      access: 'allow',
    });
    assert.equal(added.status, 200, await added.clone().text());
    await w.verifier.next();
    const now = await as(bob, 'POST', '/_/api/call', hello);
    assert.equal(now.status, 200, await now.clone().text());

    // A deny of the registry keeps bob from listing services in the dashboard itself.
    await w.auth.createRule({
      id: 'bob-no-registry',
      who: 'account:bob',
      resource: { kind: 'registry', name: '*', action: 'read' },
      access: 'deny',
    });
    await w.verifier.next();
    for (const path of ['/_/api/services', '/_/api/events'])
      assert.match(await refused(await as(bob, 'GET', path), 403, path), /registry \* read/);

    // The web app gets the user's token as authorization, and not the session cookie.
    const chat = await as(`${admin}; theme=dark`, 'GET', '/chat/');
    assert.equal(await chat.text(), 'chat');
    assert.match(seen.authorization ?? '', /^Bearer eyJ/);
    assert.equal(seen.cookie, 'theme=dark');
  });

  it('logs out: the tokens are revoked, the cookie cleared, and the old cookie refused', async () => {
    const bob = await login('bob', 'bob-secret-12345');
    assert.equal((await as(bob, 'GET', '/_/api/session')).status, 200);
    const out = await fetch(`${w.base}/_/api/logout`, {
      method: 'POST',
      headers: { cookie: bob, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(out.status, 200);
    const cleared = cookieOf(out);
    assert.equal(cleared.pair, `${SESSION_COOKIE}=`);
    assert.ok(cleared.attrs.includes('Max-Age=0'));
    await w.verifier.next();
    for (const [method, path] of routes) {
      const res = await as(bob, method, path, method === 'POST' ? {} : undefined);
      assert.match(await refused(res, 401, `revoked: ${method} ${path}`), /revoked|ended/);
    }
  });

  it('renews an expired access token from the refresh token, once for requests that come together', async () => {
    // Issued 8 s short of its 15 min: it expires before the next request would be safe.
    w.skew(-(15 * 60_000 - 8000));
    const stale = await login('bob', 'bob-secret-12345');
    w.skew(0);
    const answers = await Promise.all([1, 2, 3].map(() => as(stale, 'GET', '/_/api/session')));
    const renewed = answers.map((res) => {
      assert.equal(res.status, 200);
      return cookieOf(res).pair;
    });
    assert.equal(new Set(renewed).size, 1, 'one exchange for the three');
    assert.notEqual(renewed[0], stale);
    // The new pair works, and the family was not revoked by a reuse.
    const again = await as(renewed[0]!, 'GET', '/_/api/session');
    assert.equal(again.status, 200);
    assert.equal(again.headers.getSetCookie().length, 0, 'a fresh token is not renewed');
    assert.deepEqual(((await again.json()) as { id: string }).id, 'bob');
  });

  it('ends an event stream when its access token expires, so that the browser reconnects with a renewed one', async () => {
    // Issued to expire in 11.5 s: past the renewal margin (10 s), so the stream opens with it.
    w.skew(-(15 * 60_000 - 11_500));
    const admin = await login('admin', ADMIN_SECRET);
    w.skew(0);
    const res = await as(admin, 'GET', '/_/api/events');
    assert.equal(res.status, 200);
    assert.equal(res.headers.getSetCookie().length, 0, 'not renewed yet');
    // Read to its end: the server ends it (or the test's timeout fails it).
    const text = await res.text();
    assert.match(text, /^event: services$/m, 'the stream ran until it ended');
    // The same cookie now renews: the stream opens again with a fresh token.
    const again = await as(admin, 'GET', '/_/api/events');
    assert.equal(again.status, 200);
    assert.equal(again.headers.getSetCookie().length, 1, 'renewed');
    await again.body?.cancel();
  });
});
