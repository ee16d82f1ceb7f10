// The dashboard with auth on in a real browser (Debian's chromium): the dashboard sends a visitor
// to the login page, a wrong secret is refused on the page, the admin logs in through the form,
// sees the services and who is logged in, calls an endpoint, opens the Auth page, creates an
// account (its secret shown once) and adds a rule that lets it call, and logs out, which sends the
// browser back to the login page; the new account logs in and is refused the Auth page (403). The cookie is HttpOnly: no script of the page can read it, and
// the page runs under the strict policy with no inline script and no policy violation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../src/ui/web/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { ADMIN_SECRET, startAuthedWeb, type AuthedWeb } from '../helpers/web-auth.ts';

describe('the dashboard with auth on, in a browser', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-auth-'));
  let w: AuthedWeb;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const violations: string[] = [];

  before(async () => {
    w = await startAuthedWeb();
    ({ context, page } = await launchChromium(work));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
  });

  after(async () => {
    await closeAll(context, w);
    rmSync(work, { recursive: true, force: true });
  });

  const logIn = async (id: string, secret: string): Promise<void> => {
    await page.locator('#login-id').fill(id);
    await page.locator('#login-secret').fill(secret);
    await page.locator('#login button[type="submit"]').click();
  };

  it('logs in through the page, calls, manages accounts and rules, and logs out', async () => {
    // With no session, the dashboard sends the browser to the login page.
    await page.goto(`${w.base}/#/service/greeter`);
    await page.waitForURL(/\/_\/login#\/service\/greeter$/);
    await logIn('admin', 'not-the-secret');
    const problem = page.locator('#login-problem');
    await problem.waitFor();
    assert.equal(await problem.textContent(), 'Wrong account or secret.');
    assert.equal((await context.cookies()).length, 0, 'no cookie for a wrong secret');

    // The right secret opens the page it came from, with who is logged in.
    await logIn('admin', ADMIN_SECRET);
    await page.waitForURL(/\/#\/service\/greeter$/);
    const cookie = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
    assert.ok(cookie, 'the session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate('document.cookie'), '', 'no script reads the session');
    assert.equal(await page.locator('#user-id').textContent(), 'admin');

    // Calling an endpoint from the form, as the admin.
    const editor = page.locator('#call-request');
    await editor.waitFor();
    await editor.fill('{"name":"Ann"}');
    await page.click('.call button.primary');
    const ok = page.locator('.result.ok pre.response');
    await ok.waitFor();
    assert.deepEqual(JSON.parse((await ok.textContent()) ?? ''), { msg: 'Hello Ann' });

    // The services list, fed by the event stream behind the session.
    await page.locator('nav a[data-page="services"]').click();
    await page.locator('tr[data-service="greeter"]').waitFor();

    // The Auth page: the accounts, rules and keys, and a new account with its secret shown once.
    await page.locator('nav a[data-page="auth"]').click();
    await page.locator('tr[data-account="admin"]').waitFor();
    await page.locator('tr[data-rule="admin"]').waitFor();
    assert.equal(await page.locator('tr[data-kid]').count(), 1);
    await page.locator('#account-id').fill('carol');
    await page.locator('#account-roles').fill('ops');
    await page.locator('.account-form button[type="submit"]').click();
    await page.locator('tr[data-account="carol"]').waitFor();
    const secret = (await page.locator('.secret-once code.secret').textContent()) ?? '';
    assert.ok(secret.length >= 12, 'the generated secret is shown');
    assert.match(
      (await page.locator('tr[data-account="carol"] .roles').textContent()) ?? '',
      /ops/,
    );

    // Carol may not call the greeter until a rule says so; the page adds one.
    const call = { service: 'greeter', endpoint: 'Say.Hello', request: { name: 'Carol' } };
    const carol = await w.auth.token({
      grant_type: 'password',
      username: 'carol',
      password: secret,
    });
    const asCarol = () =>
      w.client
        .call('greeter', 'Say.Hello', call.request, {
          metadata: { authorization: `Bearer ${carol.access_token}` },
        })
        .then(
          () => 200,
          (e: { code: number }) => e.code,
        );
    assert.equal(await asCarol(), 403);
    await page.locator('#rule-who').fill('role:ops');
    await page.locator('#rule-kind').selectOption('service');
    await page.locator('#rule-name').fill('greeter');
    await page.locator('.rule-form button[type="submit"]').click();
    const rule = page.locator('tbody tr[data-rule]', { hasText: 'role:ops' });
    await rule.waitFor();
    assert.match((await rule.locator('.resource').textContent()) ?? '', /^service:greeter:\*$/);
    await w.verifier.next();
    assert.equal(await asCarol(), 200);

    // Logging out ends the session: the login page again, and the dashboard sends back there.
    await page.locator('#logout').click();
    await page.waitForURL(/\/_\/login/);
    assert.equal(
      (await context.cookies()).filter((c) => c.name === SESSION_COOKIE && c.value).length,
      0,
    );
    await page.goto(`${w.base}/#/auth`);
    await page.waitForURL(/\/_\/login#\/auth$/);
    await page.locator('#login-id').waitFor();

    // An account that is no admin sees the Auth page refuse it, saying why.
    await logIn('carol', secret);
    await page.waitForURL(/\/#\/auth$/);
    assert.equal(await page.locator('#user-id').textContent(), 'carol');
    const refusal = page.locator('.accounts .problem');
    await refusal.waitFor();
    assert.match((await refusal.textContent()) ?? '', /^Not allowed: .*account carol may not/);
    assert.equal(await page.locator('tr[data-account]').count(), 0);

    assert.deepEqual(pageErrors, []);
    assert.deepEqual(violations, []);
  });
});
