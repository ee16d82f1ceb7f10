// The database: its collections (with their databases, record counts and indexes), one
// collection's records as a table (paged with the cursor, narrowed by a where JSON, sorted), one
// record's JSON, and create, update and delete of a record after a Confirm. Counts are read again
// every REFRESH ms; the records when the filter is applied or something is written here.
// #/db/<database>/<collection>/<id> opens a collection and a record.
import { errorLine, read } from '../lib/api.js';
import { h, link, relative, replace, text } from '../lib/dom.js';
import { collectionsTable, fillChooser, indexList, placeKey } from './db-collections.js';
import { recordForm, recordView } from './db-record.js';

/** @typedef {import('./db-collections.js').CollectionInfo} CollectionInfo */
/** @typedef {{ id: string, version: number, createdAt: number, updatedAt: number, data: Record<string, unknown>, dataBytes?: number }} DbRecord */

/** Records per page, and at most shown. */
const PAGE = 50;
const MAX_SHOWN = 1000;
/** Field columns shown beside id, version and updated. */
const FIELDS = 5;
/** Milliseconds between reads of the collections. */
const REFRESH = 5000;

/**
 * @param {HTMLElement} root
 * @param {string} [database]
 * @param {string} [collectionName]
 * @param {string} [id]
 */
export function render(root, database, collectionName, id = '') {
  /** @type {{ database: string, collection: string } | undefined} */
  let at = database && collectionName ? { database, collection: collectionName } : undefined;
  /** @type {CollectionInfo[]} */
  let all = [];
  /** @type {DbRecord[]} */
  let records = [];
  /** @type {string | undefined} */
  let next;
  let selected = id;
  let turn = 0;

  const count = h('span', { class: 'count' });
  const chooser = /** @type {HTMLSelectElement} */ (
    h('select', {
      id: 'db-collection',
      'aria-label': 'Collection',
      onchange: () => {
        const [d = '', c = ''] = chooser.value.split('\u0000');
        open(d && c ? { database: d, collection: c } : undefined, '');
      },
    })
  );
  const where = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'db-where',
      class: 'field',
      spellcheck: false,
      placeholder: '{"status": "open", "total": {"$gt": 10}}',
      'aria-label': 'Where (JSON)',
    })
  );
  const sort = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'db-sort',
      class: 'field',
      spellcheck: false,
      placeholder: '-updatedAt, id',
      'aria-label': 'Sort',
    })
  );
  const problem = h('p', { class: 'problem', hidden: true });
  const head = h('tr');
  const body = h('tbody');
  const indexes = h('p', { class: 'muted small indexes' });
  const more = h(
    'button',
    { type: 'button', hidden: true, onclick: () => void list(true) },
    'More',
  );
  const empty = h('p', { class: 'empty', hidden: true });
  const detail = h('section', { class: 'card record', hidden: true, 'aria-live': 'polite' });
  const form = recordForm(
    () => at,
    (to, rid) => {
      if (!at || to.database !== at.database || to.collection !== at.collection)
        return void (location.hash = link('db', to.database, to.collection, rid));
      choose(rid);
      void list();
      void load();
    },
  );
  const filter = h(
    'form',
    {
      class: 'db-filter',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        void list();
      },
    },
    where,
    sort,
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
  );
  const overview = collectionsTable();
  const browser = h(
    'div',
    { class: 'split' },
    h(
      'div',
      null,
      filter,
      indexes,
      h('table', { class: 'grid records' }, h('thead', null, head), body),
      empty,
      h('div', { class: 'actions' }, more),
    ),
    h('div', { class: 'side-col' }, detail, form.el),
  );
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Database ', count), chooser),
    problem,
    overview.el,
    browser,
  );

  /** Reads the collections: the chooser, the overview and the open one's indexes. */
  async function load() {
    const a = /** @type {import('../lib/api.js').Answer<{ collections: CollectionInfo[] }>} */ (
      await read('db/collections')
    );
    if (!a.body) return void ((problem.hidden = false), (problem.textContent = errorLine(a)));
    all = a.body.collections;
    count.textContent = String(all.length);
    fillChooser(chooser, all, at);
    overview.show(all);
    const shown = at && all.find((c) => at && placeKey(c) === placeKey(at));
    indexes.textContent = shown?.indexes.length ? `Indexes: ${indexList(shown)}` : '';
  }

  /** Reads the first page of records (or, with further, the next one). */
  async function list(further = false) {
    if (!at) return;
    const mine = ++turn;
    const a =
      /** @type {import('../lib/api.js').Answer<{ records: DbRecord[], next?: string }>} */ (
        await read('db/query', {
          ...at,
          where: where.value.trim() || undefined,
          sort: sort.value.trim() || undefined,
          limit: PAGE,
          cursor: further ? next : undefined,
        })
      );
    if (mine !== turn) return;
    problem.hidden = a.ok;
    if (!a.body) return void (problem.textContent = errorLine(a));
    records = further ? [...records, ...a.body.records].slice(0, MAX_SHOWN) : a.body.records;
    next = records.length < MAX_SHOWN ? a.body.next : undefined;
    more.hidden = next === undefined;
    draw();
  }

  function draw() {
    const names = [...new Set(records.flatMap((r) => Object.keys(r.data)))].slice(0, FIELDS);
    replace(
      head,
      ['Id', 'Version', 'Updated', ...names].map((c) => h('th', null, c)),
    );
    replace(
      body,
      records.map((r) =>
        h(
          'tr',
          { dataset: { id: r.id }, class: r.id === selected ? 'chosen' : undefined },
          h(
            'td',
            { class: 'name' },
            h(
              'a',
              {
                href: '#',
                onclick: (/** @type {Event} */ e) => (e.preventDefault(), choose(r.id)),
              },
              r.id,
            ),
          ),
          h('td', { class: 'num version' }, String(r.version)),
          h(
            'td',
            { class: 'small', title: new Date(r.updatedAt).toLocaleString() },
            relative(r.updatedAt),
          ),
          names.map((n) =>
            h(
              'td',
              { class: 'mono field', dataset: { field: n } },
              n in r.data ? text(r.data[n]).slice(0, 200) : '—',
            ),
          ),
        ),
      ),
    );
    empty.hidden = records.length > 0;
    empty.textContent = !at
      ? 'Choose a collection, or write a record to make one.'
      : where.value.trim()
        ? 'No record matches.'
        : 'No records in this collection.';
  }

  /** Shows the chosen record. */
  async function show() {
    detail.hidden = !selected || !at;
    if (!selected || !at) return void delete detail.dataset.shown;
    const wanted = selected;
    const a = /** @type {import('../lib/api.js').Answer<{ record?: DbRecord }>} */ (
      await read('db/read', { ...at, id: wanted })
    );
    if (wanted !== selected) return;
    // Two reads of one record crossing (a click while the last write's read is under way) must not
    // draw it twice: a second drawing would drop a Delete the user has already asked to Confirm.
    const shown = `${wanted}@${a.body?.record?.version ?? a.status}`;
    if (detail.dataset.shown === shown && detail.childElementCount > 0) return;
    detail.dataset.shown = shown;
    replace(
      detail,
      recordView(wanted, a, {
        at: () => at,
        onEdit: (r) => form.edit(r),
        onDeleted: () => (choose(''), void list(), void load()),
      }),
    );
  }

  /** @param {string} rid */
  function choose(rid) {
    selected = rid;
    if (at)
      history.replaceState(null, '', link('db', at.database, at.collection, ...(rid ? [rid] : [])));
    for (const tr of body.querySelectorAll('tr'))
      tr.classList.toggle('chosen', /** @type {HTMLElement} */ (tr).dataset.id === rid);
    void show();
  }

  /**
   * @param {{ database: string, collection: string } | undefined} to
   * @param {string} rid
   */
  function open(to, rid) {
    at = to;
    records = [];
    next = undefined;
    overview.el.hidden = at !== undefined;
    filter.hidden = at === undefined;
    form.follow();
    if (!at) history.replaceState(null, '', link('db'));
    draw();
    choose(rid);
    void list();
  }

  open(at, id);
  void load();
  const reading = setInterval(() => void load(), REFRESH);
  return () => {
    turn++;
    clearInterval(reading);
  };
}
