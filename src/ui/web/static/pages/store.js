// The store: its namespaces (database/table), the keys of one paged in key order and narrowed by a
// prefix, and a key's value, version and expiry; put and delete ask for confirmation. The keys
// follow the store's watch of the namespace: a change re-reads the pages shown (debounced).
// #/store/<database>/<table>/<key> opens a namespace and a key.
import { change, errorLine, parse, read } from '../lib/api.js';
import { h, link, replace } from '../lib/dom.js';
import { virtualTable } from '../lib/virtual.js';
import { byteOrder, entryView, keyRow, putForm } from './store-entry.js';

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
    replace(
      detail,
      entryView(wanted, a, {
        onEdit: (e) => form.edit(e),
        onDelete: async (e) => {
          const d = await change('store/delete', { ...ns, key: wanted, ifVersion: e.version });
          if (!d.ok) detail.append(h('p', { class: 'problem' }, errorLine(d)));
          else await refresh();
        },
      }),
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

  /**
   * Follows the namespace's changes under the prefix. Up to MAX_REREAD keys shown, each burst
   * re-reads them once; past that, each change is applied to the list in place (a put's expiry
   * then shows once the key is opened or the page read again).
   */
  function follow() {
    watch?.close();
    const q = new URLSearchParams({ ...ns, ...(prefix ? { prefix } : {}) });
    watch = new EventSource(`/_/api/store/watch?${q}`);
    watch.addEventListener('change', (m) => {
      if (keys.length > MAX_REREAD) {
        const e = /** @type {{ action: string, key: string, version?: string }} */ (
          parse(/** @type {MessageEvent<string>} */ (m).data)
        );
        apply(e);
        if (e.key === selected) void show();
        return;
      }
      clearTimeout(reread);
      reread = setTimeout(() => void refresh(), 150);
    });
  }

  /**
   * Puts a change into the keys shown: a put replaces or inserts (if within the pages read), a
   * delete removes.
   * @param {{ action: string, key: string, version?: string }} e
   */
  function apply(e) {
    const at = keys.findIndex((k) => byteOrder(k.key, e.key) >= 0);
    const here = at >= 0 && keys[at]?.key === e.key;
    if (e.action === 'delete') {
      if (here) keys.splice(at, 1);
    } else if (here) keys[at] = { key: e.key, version: e.version ?? '' };
    else if (at >= 0 || next === undefined)
      keys.splice(at < 0 ? keys.length : at, 0, { key: e.key, version: e.version ?? '' });
    count.textContent = `${keys.length}${next ? '+' : ''}`;
    grid.dataset.total = String(keys.length);
    table.update(keys.length);
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
