// The store: its namespaces (database/table), the keys of one paged in key order and narrowed by a
// prefix, and a key's value, version and expiry; put and delete ask for confirmation. The keys
// follow the store's watch of the namespace: a change re-reads the pages shown (debounced).
// #/store/<database>/<table>/<key> opens a namespace and a key.
import { change, errorLine, read } from '../lib/api.js';
import { confirmButton } from '../lib/confirm.js';
import { h, link, pretty, relative, replace } from '../lib/dom.js';
import { virtualTable } from '../lib/virtual.js';

/** @typedef {import('../lib/api.js').Entry} Entry */

/** The height of one row in pixels. */
const ROW = 41;
/** Keys read per page, and at most on a re-read after a change. */
const PAGE = 200;
const MAX_REREAD = 1000;

/**
 * @param {HTMLElement} root
 * @param {string} [database]
 * @param {string} [tableName]
 * @param {string} [key]
 */
export function render(root, database, tableName = 'default', key = '') {
  // With no namespace in the address, the first one that holds keys opens once they are listed.
  let named = database !== undefined;
  let ns = { database: database ?? 'micro', table: tableName };
  let prefix = '';
  /** @type {Entry[]} */
  let keys = [];
  /** @type {string | undefined} */
  let next;
  let selected = key;
  let turn = 0;
  /** @type {EventSource | undefined} */
  let watch;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let reread;

  const count = h('span', { class: 'count' });
  const namespaces = /** @type {HTMLSelectElement} */ (
    h('select', {
      id: 'store-namespace',
      'aria-label': 'Namespace',
      onchange: () => {
        const [d = 'micro', t = 'default'] = namespaces.value.split('\u0000');
        open({ database: d, table: t }, '');
      },
    })
  );
  const search = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'search',
      class: 'search',
      placeholder: 'Key prefix',
      'aria-label': 'Key prefix',
      oninput: () => {
        prefix = search.value;
        table.toTop();
        void list();
        follow();
      },
    })
  );
  const problem = h('p', { class: 'problem', hidden: true });
  const body = h('tbody');
  const grid = h(
    'table',
    { class: 'grid keys virtual' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Key', 'Version', 'Expires'].map((t) => h('th', null, t)),
      ),
    ),
    body,
  );
  const table = virtualTable({
    table: grid,
    body,
    columns: 3,
    rowHeight: ROW,
    row: (i) => {
      const e = /** @type {Entry} */ (keys[i]);
      return {
        key: e.key,
        sig: `${e.version}|${e.expiresAt ?? ''}|${e.key === selected}`,
        build: () => keyRow(e, e.key === selected, () => choose(e.key)),
      };
    },
  });
  const more = h(
    'button',
    { type: 'button', hidden: true, onclick: () => void list(true) },
    'More',
  );
  const empty = h('p', { class: 'empty', hidden: true });
  const detail = h('section', { class: 'card entry', hidden: true, 'aria-live': 'polite' });
  const form = putForm(
    () => ns,
    (k) => {
      choose(k);
      void refresh();
    },
  );

  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Store ', count), namespaces, search),
    problem,
    h(
      'div',
      { class: 'split' },
      h('div', null, table.el, empty, h('div', { class: 'actions' }, more)),
      h('div', { class: 'side-col' }, detail, form.el),
    ),
  );

  /** Reads the namespaces for the chooser, keeping the one open (listed even with no keys). */
  async function namespaceList() {
    const a =
      /** @type {import('../lib/api.js').Answer<{ namespaces: import('../lib/api.js').StoreNamespace[] }>} */ (
        await read('store/namespaces')
      );
    const all = a.body?.namespaces ?? [];
    const first = all[0];
    if (!named && first) {
      named = true;
      if (!all.some((n) => n.database === ns.database && n.table === ns.table))
        return open(first, '');
    }
    named = true;
    if (!all.some((n) => n.database === ns.database && n.table === ns.table)) all.unshift(ns);
    replace(
      namespaces,
      all.map((n) =>
        h('option', { value: `${n.database}\u0000${n.table}` }, `${n.database} / ${n.table}`),
      ),
    );
    namespaces.value = `${ns.database}\u0000${ns.table}`;
  }

  /**
   * Reads the first page (or, with more, the next one) of keys under the prefix.
   * @param {boolean} [further]
   * @param {number} [limit]
   */
  async function list(further = false, limit = PAGE) {
    const mine = ++turn;
    const a = /** @type {import('../lib/api.js').Answer<{ entries: Entry[], next?: string }>} */ (
      await read('store/list', {
        ...ns,
        prefix: prefix || undefined,
        keysOnly: true,
        limit,
        cursor: further ? next : undefined,
      })
    );
    if (mine !== turn) return;
    problem.hidden = a.ok;
    if (!a.body) return void (problem.textContent = errorLine(a));
    keys = further ? [...keys, ...a.body.entries] : a.body.entries;
    next = a.body.next;
    more.hidden = next === undefined;
    count.textContent = `${keys.length}${next ? '+' : ''}`;
    grid.dataset.total = String(keys.length);
    table.update(keys.length);
    empty.hidden = keys.length > 0;
    empty.textContent = prefix
      ? `No key starts with "${prefix}" in ${ns.database} / ${ns.table}.`
      : `No keys in ${ns.database} / ${ns.table} yet. Put one here, or: micro store put KEY VALUE --database ${ns.database} --table ${ns.table}`;
  }

  /** Shows one key's entry, or that it is gone. */
  async function show() {
    detail.hidden = selected === '';
    if (!selected) return;
    const wanted = selected;
    const a = /** @type {import('../lib/api.js').Answer<{ entry?: Entry }>} */ (
      await read('store/get', { ...ns, key: wanted })
    );
    if (wanted !== selected) return;
    const e = a.body?.entry;
    replace(
      detail,
      h('h2', { class: 'mono' }, wanted),
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
                h('button', { type: 'button', onclick: () => form.edit(e) }, 'Edit'),
                confirmButton({
                  label: 'Delete',
                  name: 'delete',
                  danger: true,
                  question: () => `Delete ${wanted}?`,
                  action: async () => {
                    const d = await change('store/delete', {
                      ...ns,
                      key: wanted,
                      ifVersion: e.version,
                    });
                    if (!d.ok) detail.append(h('p', { class: 'problem' }, errorLine(d)));
                    else await refresh();
                  },
                }),
              ),
            ],
    );
  }

  /** @param {string} k */
  function choose(k) {
    selected = k;
    history.replaceState(null, '', link('store', ns.database, ns.table, ...(k ? [k] : [])));
    table.update(keys.length);
    void show();
  }

  /** Re-reads what is shown: the pages loaded so far (up to MAX_REREAD keys) and the chosen key. */
  async function refresh() {
    await list(false, Math.min(MAX_REREAD, Math.max(PAGE, keys.length)));
    await show();
  }

  /** Follows the namespace's changes under the prefix; each burst re-reads once. */
  function follow() {
    watch?.close();
    const q = new URLSearchParams({ ...ns, ...(prefix ? { prefix } : {}) });
    watch = new EventSource(`/_/api/store/watch?${q}`);
    watch.addEventListener('change', () => {
      clearTimeout(reread);
      reread = setTimeout(() => void refresh(), 150);
    });
  }

  /**
   * @param {{ database: string, table: string }} to
   * @param {string} k
   */
  function open(to, k) {
    ns = to;
    keys = [];
    next = undefined;
    table.toTop();
    choose(k);
    void namespaceList();
    void list();
    follow();
  }

  open(ns, key);
  return () => {
    turn++;
    clearTimeout(reread);
    watch?.close();
    table.stop();
  };
}

/**
 * @param {Entry} e
 * @param {boolean} chosen
 * @param {() => void} onChoose
 */
function keyRow(e, chosen, onChoose) {
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
function putForm(namespace, onPut) {
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
