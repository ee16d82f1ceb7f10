// Auth: the platform's accounts (create, with the secret shown once; disable or enable; delete),
// its rules (pages/auth-rules.js) and its signing keys (rotate). Every read and change goes to the
// auth service with the logged-in user's token, so only accounts the rules allow (admins) see and
// change them; a refusal (403) says so in the part it concerns. Changes ask for a Confirm first.
import { change, read } from '../lib/api.js';
import { confirmButton } from '../lib/confirm.js';
import { h, relative, replace } from '../lib/dom.js';
import { refusal, rulesPart } from './auth-rules.js';

/** @typedef {{ id: string, type: string, roles: string[], scopes: string[], metadata: Record<string, string>, created: number, disabled?: boolean }} Account */
/** @typedef {{ kid: string, alg: string, crv: string }} Key */

/** A comma- or space-separated list as its items. */
export const items = (/** @type {string} */ s) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** @param {() => void} reload */
function accountsPart(reload) {
  const count = h('span', { class: 'count' });
  const problem = h('p', { class: 'problem', hidden: true });
  const body = h('tbody');
  const shown = h('div', { class: 'notice secret-once', hidden: true, 'aria-live': 'polite' });
  const field = (/** @type {string} */ id, /** @type {string} */ placeholder, type = 'text') =>
    /** @type {HTMLInputElement} */ (
      h('input', {
        id,
        class: 'field',
        placeholder,
        'aria-label': placeholder,
        type,
        spellcheck: false,
      })
    );
  const id = field('account-id', 'Account id');
  const roles = field('account-roles', 'Roles (comma separated)');
  const secret = field('account-secret', 'Secret (empty: generated)', 'password');
  const type = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'account-type', 'aria-label': 'Type' },
      h('option', { value: 'user' }, 'user'),
      h('option', { value: 'service' }, 'service'),
    )
  );
  /** @param {import('../lib/api.js').Answer<unknown>} a */
  const failed = (a) => {
    problem.hidden = a.ok;
    if (!a.ok) problem.textContent = refusal(a);
    return !a.ok;
  };
  const form = h(
    'form',
    {
      class: 'auth-form account-form',
      onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        const a =
          /** @type {import('../lib/api.js').Answer<{ account: Account, secret: string }>} */ (
            await change('auth/accounts/create', {
              id: id.value.trim(),
              type: type.value,
              roles: items(roles.value),
              ...(secret.value && { secret: secret.value }),
            })
          );
        if (failed(a) || !a.body) return;
        // The only time the secret is shown: it is not kept anywhere in the page.
        replace(
          shown,
          'Secret of ',
          h('b', { class: 'mono' }, a.body.account.id),
          ' (shown once, copy it now): ',
          h('code', { class: 'secret' }, a.body.secret),
        );
        shown.hidden = false;
        id.value = roles.value = secret.value = '';
        reload();
      },
    },
    id,
    type,
    roles,
    secret,
    h('button', { type: 'submit', class: 'primary' }, 'Create account'),
  );

  /** @param {Account} x */
  const row = (x) =>
    h(
      'tr',
      { dataset: { account: x.id, state: x.disabled ? 'disabled' : 'active' } },
      h('td', { class: 'name mono' }, x.id),
      h('td', null, x.type),
      h('td', { class: 'roles' }, x.roles.join(', ') || '—'),
      h('td', { class: 'small' }, x.scopes.join(' ') || '—'),
      h('td', { class: 'small', title: new Date(x.created).toLocaleString() }, relative(x.created)),
      h(
        'td',
        null,
        h(
          'span',
          { class: `badge ${x.disabled ? 'bad' : 'good'}` },
          x.disabled ? 'disabled' : 'active',
        ),
      ),
      h(
        'td',
        { class: 'nowrap' },
        confirmButton({
          label: x.disabled ? 'Enable' : 'Disable',
          name: 'disable',
          small: true,
          question: () => `${x.disabled ? 'Enable' : 'Disable'} ${x.id}?`,
          action: async () => {
            if (!failed(await change('auth/accounts/update', { id: x.id, disabled: !x.disabled })))
              reload();
          },
        }),
        confirmButton({
          label: 'Delete',
          name: 'delete',
          small: true,
          danger: true,
          question: () => `Delete ${x.id}?`,
          action: async () => {
            if (!failed(await change('auth/accounts/delete', { id: x.id }))) reload();
          },
        }),
      ),
    );

  return {
    el: h(
      'section',
      { class: 'card auth-part accounts' },
      h('h2', null, 'Accounts ', count),
      problem,
      h(
        'table',
        { class: 'grid accounts' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['ID', 'Type', 'Roles', 'Scopes', 'Created', 'State', ''].map((t) => h('th', null, t)),
          ),
        ),
        body,
      ),
      form,
      shown,
    ),
    async load() {
      const a = /** @type {import('../lib/api.js').Answer<{ accounts: Account[] }>} */ (
        await read('auth/accounts')
      );
      if (failed(a) || !a.body) return (replace(body), (count.textContent = ''));
      count.textContent = String(a.body.accounts.length);
      replace(body, a.body.accounts.map(row));
    },
  };
}

function keysPart() {
  const problem = h('p', { class: 'problem', hidden: true });
  const body = h('tbody');
  /** @param {import('../lib/api.js').Answer<{ keys: Key[] }>} a */
  const show = (a) => {
    problem.hidden = a.ok;
    if (!a.ok) problem.textContent = refusal(a);
    if (a.body)
      replace(
        body,
        a.body.keys.map((k) =>
          h(
            'tr',
            { dataset: { kid: k.kid } },
            h('td', { class: 'mono name' }, k.kid),
            h('td', null, `${k.alg} ${k.crv}`),
          ),
        ),
      );
  };
  return {
    el: h(
      'section',
      { class: 'card auth-part keys' },
      h('h2', null, 'Signing keys'),
      problem,
      h('table', { class: 'grid signing-keys' }, body),
      h(
        'div',
        { class: 'actions' },
        confirmButton({
          label: 'Rotate keys',
          name: 'rotate',
          question: () => 'Sign new tokens with a new key?',
          action: async () => show(await change('auth/keys/rotate', {})),
        }),
      ),
    ),
    async load() {
      show(await read('auth/keys'));
    },
  };
}

/** @param {HTMLElement} root */
export function render(root) {
  const accounts = accountsPart(() => void accounts.load());
  const rules = rulesPart();
  const keys = keysPart();
  root.append(h('div', { class: 'head' }, h('h1', null, 'Auth')), accounts.el, rules.el, keys.el);
  void accounts.load();
  void rules.load();
  void keys.load();
}
