// The store page's parts: a key's row in the list, a key's entry (value, version, expiry, with
// Edit and Delete after a Confirm), the put form, and the store's key order.
import { change, errorLine } from '../lib/api.js';
import { confirmButton } from '../lib/confirm.js';
import { h, pretty, relative } from '../lib/dom.js';

/** @typedef {import('../lib/api.js').Entry} Entry */

/**
 * The card's content for a key: its entry as read, that it is gone, or why the read failed.
 * @param {string} key
 * @param {import('../lib/api.js').Answer<{ entry?: Entry }>} a
 * @param {{ onEdit: (e: Entry) => void, onDelete: (e: Entry) => Promise<void> }} on
 */
export function entryView(key, a, on) {
  const e = a.body?.entry;
  return [
    h('h2', { class: 'mono' }, key),
    !a.ok
      ? h('p', { class: 'problem' }, errorLine(a))
      : !e
        ? h('p', { class: 'empty' }, 'No such key (deleted, or its lease ran out).')
        : [
            h(
              'dl',
              { class: 'facts' },
              h('dt', null, 'Version'),
              h('dd', { class: 'mono version' }, e.version),
              h('dt', null, 'Expires'),
              h(
                'dd',
                { class: 'expires' },
                e.expiresAt
                  ? `${new Date(e.expiresAt).toLocaleString()} (${relative(e.expiresAt)})`
                  : 'never',
              ),
            ),
            h('pre', { class: 'json value' }, pretty(e.value)),
            h(
              'div',
              { class: 'actions' },
              h('button', { type: 'button', onclick: () => on.onEdit(e) }, 'Edit'),
              confirmButton({
                label: 'Delete',
                name: 'delete',
                danger: true,
                question: () => `Delete ${key}?`,
                action: () => on.onDelete(e),
              }),
            ),
          ],
  ];
}

/**
 * A key's row: the key (a link that shows its entry), its version and when it expires.
 * @param {Entry} e
 * @param {boolean} chosen
 * @param {() => void} onChoose
 */
export function keyRow(e, chosen, onChoose) {
  return h(
    'tr',
    { dataset: { key: e.key }, class: chosen ? 'chosen' : undefined },
    h(
      'td',
      { class: 'name', title: e.key },
      h(
        'a',
        { href: '#', onclick: (/** @type {Event} */ ev) => (ev.preventDefault(), onChoose()) },
        e.key,
      ),
    ),
    h('td', { class: 'mono', title: e.version }, e.version),
    h('td', { class: 'small' }, e.expiresAt ? relative(e.expiresAt) : '—'),
  );
}

/**
 * The put form: a key, a JSON value and an optional lease, put in the open namespace on Confirm.
 * @param {() => { database: string, table: string }} namespace
 * @param {(key: string) => void} onPut
 */
export function putForm(namespace, onPut) {
  const key = /** @type {HTMLInputElement} */ (
    h('input', { id: 'put-key', class: 'field', spellcheck: false })
  );
  const value = /** @type {HTMLTextAreaElement} */ (
    h('textarea', {
      id: 'put-value',
      class: 'editor',
      rows: 6,
      spellcheck: false,
      'aria-label': 'Value JSON',
    })
  );
  const ttl = /** @type {HTMLInputElement} */ (
    h('input', { id: 'put-ttl', class: 'field', type: 'number', min: 1, placeholder: 'none' })
  );
  const problem = h('p', { class: 'problem', hidden: true });
  /** @returns {{ value: unknown } | undefined} */
  const parsed = () => {
    try {
      return { value: /** @type {unknown} */ (JSON.parse(value.value)) };
    } catch (err) {
      problem.hidden = false;
      problem.textContent = `The value is not valid JSON: ${/** @type {Error} */ (err).message}`;
      return undefined;
    }
  };
  const el = h(
    'form',
    { class: 'card put', onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
    h('h2', null, 'Put a key'),
    h('label', { for: 'put-key' }, 'Key'),
    key,
    h('label', { for: 'put-value' }, 'Value (JSON)'),
    value,
    h('label', { for: 'put-ttl' }, 'Lease (seconds)'),
    ttl,
    problem,
    h(
      'div',
      { class: 'actions' },
      confirmButton({
        label: 'Put',
        name: 'put',
        question: () => {
          const n = namespace();
          return `Put ${key.value} in ${n.database} / ${n.table}?`;
        },
        action: async () => {
          problem.hidden = true;
          if (!key.value)
            return void ((problem.hidden = false), (problem.textContent = 'A key is required.'));
          const v = parsed();
          if (!v) return;
          const a = await change('store/put', {
            ...namespace(),
            key: key.value,
            value: v.value,
            ...(ttl.value ? { ttl: Number(ttl.value) * 1000 } : {}),
          });
          if (!a.ok) return void ((problem.hidden = false), (problem.textContent = errorLine(a)));
          onPut(key.value);
        },
      }),
    ),
  );
  return {
    el,
    /** @param {Entry} e fills the form with an entry to change it */
    edit(e) {
      key.value = e.key;
      value.value = pretty(e.value);
      value.focus();
    },
  };
}

/**
 * Compares keys as the store orders them, by UTF-8 bytes (which is code point order).
 * @param {string} a
 * @param {string} b
 */
export function byteOrder(a, b) {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d =
      /** @type {number} */ (x[i]?.codePointAt(0)) - /** @type {number} */ (y[i]?.codePointAt(0));
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
