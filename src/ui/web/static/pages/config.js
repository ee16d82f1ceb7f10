// Config: a namespace's tree at its latest version, its history (version, action, path, who, when)
// with a rollback to any version after confirmation, the diff between two versions, and a form to
// set a value, which shows the service's error (e.g. the 400 of a value its schema refuses).
// #/config/<namespace> opens a namespace.
import { change, errorLine, read } from '../lib/api.js';
import { h, link, pretty, replace } from '../lib/dom.js';
import { virtualTable } from '../lib/virtual.js';
import { diffTable, historyRow } from './config-history.js';

/** @typedef {import('../lib/api.js').ConfigVersion} ConfigVersion */
/** @typedef {import('../lib/api.js').ConfigDiff} ConfigDiff */

/** The height of one history row in pixels. */
const ROW = 41;
/** Versions read per page of history. */
const PAGE = 100;

/**
 * @param {HTMLElement} root
 * @param {string} [namespace]
 */
export function render(root, namespace) {
  // With no namespace in the address, the first one listed opens once they are.
  let named = namespace !== undefined;
  let ns = namespace ?? 'micro';
  /** @type {ConfigVersion[]} */
  let versions = [];
  let older = false;
  let turn = 0;

  const namespaces = /** @type {HTMLSelectElement} */ (
    h('select', {
      id: 'config-namespace',
      'aria-label': 'Namespace',
      onchange: () => open(namespaces.value),
    })
  );
  const problem = h('p', { class: 'problem', hidden: true });
  const version = h('span', { class: 'count' });
  const tree = h('pre', { class: 'json tree' });
  const body = h('tbody');
  const grid = h(
    'table',
    { class: 'grid history virtual' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Version', 'Action', 'Path', 'Author', 'When', ''].map((t) => h('th', null, t)),
      ),
    ),
    body,
  );
  const log = virtualTable({
    table: grid,
    body,
    columns: 6,
    rowHeight: ROW,
    row: (i) => {
      const v = /** @type {ConfigVersion} */ (versions[i]);
      return {
        key: String(v.version),
        sig: String(v.version === versions[0]?.version),
        build: () => historyRow(v, v.version === versions[0]?.version, rollback),
      };
    },
  });
  const more = h(
    'button',
    { type: 'button', hidden: true, onclick: () => void load(true) },
    'Older versions',
  );
  const from = /** @type {HTMLSelectElement} */ (
    h('select', { id: 'diff-from', 'aria-label': 'From version' })
  );
  const to = /** @type {HTMLSelectElement} */ (
    h('select', { id: 'diff-to', 'aria-label': 'To version' })
  );
  const diffOut = h('div', { class: 'diff', 'aria-live': 'polite' });
  const path = /** @type {HTMLInputElement} */ (
    h('input', { id: 'set-path', class: 'field', placeholder: 'db.pool.max', spellcheck: false })
  );
  const value = /** @type {HTMLTextAreaElement} */ (
    h('textarea', {
      id: 'set-value',
      class: 'editor',
      rows: 4,
      spellcheck: false,
      'aria-label': 'Value JSON',
    })
  );
  const setProblem = h('p', { class: 'problem', hidden: true });

  root.append(
    h(
      'div',
      { class: 'head' },
      h('h1', null, 'Config ', version),
      namespaces,
      h('button', { type: 'button', onclick: () => void load() }, 'Refresh'),
    ),
    problem,
    h(
      'div',
      { class: 'split' },
      h(
        'div',
        null,
        h('section', { class: 'card' }, h('h2', null, 'Tree'), tree),
        h('h2', null, 'History'),
        log.el,
        h('div', { class: 'actions' }, more),
      ),
      h(
        'div',
        { class: 'side-col' },
        h(
          'form',
          {
            class: 'card diff-form',
            onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), void diff()),
          },
          h('h2', null, 'Diff'),
          h('div', { class: 'row' }, h('label', { for: 'diff-from' }, 'From'), from),
          h('div', { class: 'row' }, h('label', { for: 'diff-to' }, 'To'), to),
          h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Compare')),
          diffOut,
        ),
        h(
          'form',
          {
            class: 'card set',
            onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), void set()),
          },
          h('h2', null, 'Set a value'),
          h('label', { for: 'set-path' }, 'Path'),
          path,
          h('label', { for: 'set-value' }, 'Value (JSON)'),
          value,
          setProblem,
          h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Set')),
        ),
      ),
    ),
  );

  /** Reads the namespaces for the chooser, keeping the one open. */
  async function namespaceList() {
    const a = /** @type {import('../lib/api.js').Answer<{ namespaces: string[] }>} */ (
      await read('config/namespaces')
    );
    const all = a.body?.namespaces ?? [];
    const first = all[0];
    if (!named && first !== undefined && !all.includes(ns)) {
      named = true;
      return open(first);
    }
    named = true;
    if (!all.includes(ns)) all.unshift(ns);
    replace(
      namespaces,
      all.map((n) => h('option', { value: n }, n)),
    );
    namespaces.value = ns;
  }

  /**
   * Reads the tree and the newest page of history (or, further, the page before the oldest shown).
   * @param {boolean} [further]
   */
  async function load(further = false) {
    const mine = ++turn;
    const before = further ? versions.at(-1)?.version : undefined;
    const [t, hist] = await Promise.all([
      /** @type {Promise<import('../lib/api.js').Answer<{ value?: unknown, version: number }>>} */ (
        read('config/get', { namespace: ns, path: '' })
      ),
      /** @type {Promise<import('../lib/api.js').Answer<{ versions: ConfigVersion[] }>>} */ (
        read('config/history', { namespace: ns, limit: PAGE, before })
      ),
    ]);
    if (mine !== turn) return;
    const failed = !t.ok ? t : !hist.ok ? hist : undefined;
    problem.hidden = !failed;
    if (failed) problem.textContent = errorLine(failed);
    if (t.body) {
      version.textContent = `v${t.body.version}`;
      tree.textContent =
        t.body.value === undefined ? 'Nothing set in this namespace yet.' : pretty(t.body.value);
    }
    if (!hist.body) return;
    const page = hist.body.versions;
    versions = further ? [...versions, ...page] : page;
    older = page.length === PAGE;
    more.hidden = !older;
    grid.dataset.total = String(versions.length);
    log.update(versions.length);
    chooseVersions();
    if (!further) await diff();
  }

  /** Fills the diff's version choices: from the one before the newest, to the newest. */
  function chooseVersions() {
    const options = () => versions.map((v) => h('option', { value: v.version }, `v${v.version}`));
    const [f, t] = [from.value, to.value];
    replace(from, h('option', { value: 0 }, 'v0 (empty)'), options());
    replace(to, options());
    const newest = versions[0]?.version ?? 0;
    to.value = versions.some((v) => String(v.version) === t) && t !== '' ? t : String(newest);
    from.value = f !== '' && f !== '0' ? f : String(versions[1]?.version ?? 0);
  }

  async function diff() {
    if (!to.value) return replace(diffOut, h('p', { class: 'empty' }, 'No versions yet.'));
    const a = /** @type {import('../lib/api.js').Answer<{ changes: ConfigDiff[] }>} */ (
      await read('config/diff', { namespace: ns, from: from.value, to: to.value })
    );
    if (!a.body) return replace(diffOut, h('p', { class: 'problem' }, errorLine(a)));
    replace(diffOut, diffTable(a.body.changes));
  }

  async function set() {
    setProblem.hidden = true;
    /** @type {unknown} */
    let v;
    try {
      v = JSON.parse(value.value);
    } catch (err) {
      setProblem.hidden = false;
      setProblem.textContent = `The value is not valid JSON: ${/** @type {Error} */ (err).message}`;
      return;
    }
    const a = await change('config/set', { namespace: ns, path: path.value, value: v });
    if (!a.ok) {
      setProblem.hidden = false;
      setProblem.textContent = errorLine(a);
      return;
    }
    from.value = '';
    await load();
  }

  /** @param {number} v */
  async function rollback(v) {
    const a = await change('config/rollback', { namespace: ns, version: v });
    if (!a.ok) {
      problem.hidden = false;
      problem.textContent = errorLine(a);
      return;
    }
    from.value = '';
    await load();
  }

  /** @param {string} name */
  function open(name) {
    ns = name;
    versions = [];
    log.toTop();
    history.replaceState(null, '', link('config', ns));
    void namespaceList();
    void load();
  }

  open(ns);
  return () => {
    turn++;
    log.stop();
  };
}
