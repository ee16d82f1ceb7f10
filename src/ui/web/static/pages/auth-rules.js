// The Auth page's rules: who may (or may not) do what, highest priority first, each deleted after a
// Confirm, and a form adding one (who, the resource's kind, name and action, allow or deny, its
// priority). The auth service checks every field; its 400 names the one that is wrong.
import { change, errorLine, read } from '../lib/api.js';
import { confirmButton } from '../lib/confirm.js';
import { h, replace } from '../lib/dom.js';

/** @typedef {{ kind: string, name: string, action: string }} ResourcePattern */
/** @typedef {{ id: string, who: string, resource: ResourcePattern, access: 'allow' | 'deny', priority: number }} Rule */

/** The kinds of resource rules speak of (src/platform/auth/auth.ts RESOURCE_ACTIONS), and any. */
const KINDS = ['service', 'topic', 'registry', 'store', 'config', 'sync', 'db', 'auth', '*'];

/**
 * The line a failed answer shows: a 403 says who may do it.
 * @param {import('../lib/api.js').Answer<unknown>} a
 */
export function refusal(a) {
  return a.status === 403
    ? `Not allowed: ${a.error?.detail ?? 'forbidden'}. An admin (or a rule on auth:…) can grant it.`
    : errorLine(a);
}

/** The rules part of the Auth page. */
export function rulesPart() {
  const count = h('span', { class: 'count' });
  const problem = h('p', { class: 'problem', hidden: true });
  const body = h('tbody');
  const input = (/** @type {string} */ id, /** @type {string} */ label, value = '') =>
    /** @type {HTMLInputElement} */ (
      h('input', {
        id,
        class: 'field',
        placeholder: label,
        'aria-label': label,
        value,
        spellcheck: false,
      })
    );
  const select = (
    /** @type {string} */ id,
    /** @type {string} */ label,
    /** @type {string[]} */ options,
  ) =>
    /** @type {HTMLSelectElement} */ (
      h(
        'select',
        { id, 'aria-label': label },
        options.map((o) => h('option', { value: o }, o)),
      )
    );
  const who = input('rule-who', 'Who (account:ID, role:R, scope:S, type:user, *, public)');
  const kind = select('rule-kind', 'Kind', KINDS);
  const name = input('rule-name', 'Name', '*');
  const action = input('rule-action', 'Action', '*');
  const access = select('rule-access', 'Access', ['allow', 'deny']);
  const priority = input('rule-priority', 'Priority', '0');
  priority.type = 'number';

  /** @param {import('../lib/api.js').Answer<unknown>} a */
  const failed = (a) => {
    problem.hidden = a.ok;
    if (!a.ok) problem.textContent = refusal(a);
    return !a.ok;
  };

  /** @param {Rule} r */
  const row = (r) =>
    h(
      'tr',
      { dataset: { rule: r.id } },
      h('td', { class: 'mono name' }, r.id),
      h('td', { class: 'mono who' }, r.who),
      h(
        'td',
        { class: 'mono resource' },
        `${r.resource.kind}:${r.resource.name}:${r.resource.action}`,
      ),
      h(
        'td',
        null,
        h('span', { class: `badge ${r.access === 'allow' ? 'good' : 'bad'}` }, r.access),
      ),
      h('td', { class: 'num' }, String(r.priority)),
      h(
        'td',
        null,
        confirmButton({
          label: 'Delete',
          name: 'delete',
          small: true,
          danger: true,
          question: () => `Delete rule ${r.id}?`,
          action: async () => {
            if (!failed(await change('auth/rules/delete', { id: r.id }))) void part.load();
          },
        }),
      ),
    );

  const form = h(
    'form',
    {
      class: 'auth-form rule-form',
      onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        const a = await change('auth/rules/create', {
          who: who.value.trim(),
          resource: { kind: kind.value, name: name.value.trim(), action: action.value.trim() },
          access: access.value,
          priority: Number(priority.value || 0),
        });
        if (failed(a)) return;
        who.value = '';
        void part.load();
      },
    },
    who,
    kind,
    name,
    action,
    access,
    priority,
    h('button', { type: 'submit', class: 'primary' }, 'Add rule'),
  );

  const part = {
    el: h(
      'section',
      { class: 'card auth-part rules' },
      h('h2', null, 'Rules ', count),
      problem,
      h(
        'table',
        { class: 'grid rules' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['ID', 'Who', 'Resource', 'Access', 'Priority', ''].map((t) => h('th', null, t)),
          ),
        ),
        body,
      ),
      form,
    ),
    async load() {
      const a = /** @type {import('../lib/api.js').Answer<{ rules: Rule[] }>} */ (
        await read('auth/rules')
      );
      if (failed(a) || !a.body) return (replace(body), (count.textContent = ''));
      const rules = [...a.body.rules].sort(
        (x, y) => y.priority - x.priority || (x.id < y.id ? -1 : 1),
      );
      count.textContent = String(rules.length);
      replace(body, rules.map(row));
    },
  };
  return part;
}
