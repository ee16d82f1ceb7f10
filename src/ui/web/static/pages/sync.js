// Sync: the locks held now (name, holder, fencing token, when the lease lapses) and the elections
// with their leaders and candidates. Read again every REFRESH ms while the page is shown; the
// "expires" column counts down between reads. Candidates are read for the first MAX_CANDIDATES
// elections only, one call each.
import { errorLine, read } from '../lib/api.js';
import { h, relative } from '../lib/dom.js';
import { virtualTable } from '../lib/virtual.js';

/** @typedef {import('../lib/api.js').LockInfo} LockInfo */
/** @typedef {import('../lib/api.js').LeaderInfo} LeaderInfo */
/** @typedef {LeaderInfo & { candidates?: string[] }} Election */

/** The height of one row in pixels. */
const ROW = 41;
/** Milliseconds between reads. */
const REFRESH = 2000;
/** Elections whose candidates are read. */
const MAX_CANDIDATES = 50;

/**
 * A virtual table with a title and a count.
 * @template T
 * @param {{ title: string, name: string, columns: string[], key: (item: T) => string, row: (item: T) => HTMLElement }} o
 */
function section(o) {
  const count = h('span', { class: 'count' });
  const body = h('tbody');
  const grid = h(
    'table',
    { class: `grid ${o.name} virtual` },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        o.columns.map((t) => h('th', null, t)),
      ),
    ),
    body,
  );
  /** @type {T[]} */
  let items = [];
  let tick = 0;
  const table = virtualTable({
    table: grid,
    body,
    columns: o.columns.length,
    rowHeight: ROW,
    row: (i) => {
      const item = /** @type {T} */ (items[i]);
      // The tick redraws the rows each second, for the countdown.
      return { key: o.key(item), sig: `${JSON.stringify(item)}|${tick}`, build: () => o.row(item) };
    },
  });
  const empty = h('p', { class: 'empty', hidden: true });
  return {
    el: h('section', { class: 'sync-part' }, h('h2', null, `${o.title} `, count), table.el, empty),
    /**
     * @param {T[]} list
     * @param {string} none what the empty list says
     */
    set(list, none) {
      items = list;
      count.textContent = String(list.length);
      grid.dataset.total = String(list.length);
      table.update(list.length);
      empty.hidden = list.length > 0;
      empty.textContent = none;
    },
    redraw() {
      tick++;
      table.update(items.length);
    },
    stop: () => table.stop(),
  };
}

/** @param {HTMLElement} root */
export function render(root) {
  const problem = h('p', { class: 'problem', hidden: true });
  const locks = section({
    title: 'Locks',
    name: 'locks',
    columns: ['Name', 'Holder', 'Token', 'Expires'],
    key: (/** @type {LockInfo} */ l) => l.name,
    row: (/** @type {LockInfo} */ l) =>
      h(
        'tr',
        { dataset: { lock: l.name } },
        h('td', { class: 'name', title: l.name }, l.name),
        h('td', { class: 'holder', title: l.holder }, l.holder),
        h('td', { class: 'num token' }, String(l.token)),
        h(
          'td',
          { class: 'small', title: new Date(l.expiresAt).toLocaleString() },
          relative(l.expiresAt),
        ),
      ),
  });
  const elections = section({
    title: 'Elections',
    name: 'elections',
    columns: ['Name', 'Leader', 'Term', 'Since', 'Candidates'],
    key: (/** @type {Election} */ e) => e.name,
    row: (/** @type {Election} */ e) =>
      h(
        'tr',
        { dataset: { election: e.name } },
        h('td', { class: 'name', title: e.name }, e.name),
        h('td', { class: 'leader', title: e.id }, e.id),
        h('td', { class: 'num' }, String(e.term)),
        h('td', { class: 'small', title: new Date(e.since).toLocaleString() }, relative(e.since)),
        h(
          'td',
          { class: 'small candidates', title: e.candidates?.join(', ') },
          e.candidates ? e.candidates.join(', ') || '—' : '…',
        ),
      ),
  });
  root.append(h('div', { class: 'head' }, h('h1', null, 'Sync')), problem, locks.el, elections.el);

  let turn = 0;
  async function load() {
    const mine = ++turn;
    const [l, e] = await Promise.all([
      /** @type {Promise<import('../lib/api.js').Answer<{ locks: LockInfo[] }>>} */ (
        read('sync/locks')
      ),
      /** @type {Promise<import('../lib/api.js').Answer<{ leaders: LeaderInfo[] }>>} */ (
        read('sync/leaders')
      ),
    ]);
    if (mine !== turn) return;
    const failed = !l.ok ? l : !e.ok ? e : undefined;
    problem.hidden = !failed;
    if (failed) problem.textContent = errorLine(failed);
    if (l.body)
      locks.set(l.body.locks, 'No lock is held. micro sync lock NAME -- COMMAND holds one.');
    if (!e.body) return;
    /** @type {Election[]} */
    const list = e.body.leaders;
    const candidates = await Promise.all(
      list.slice(0, MAX_CANDIDATES).map(async (x) => {
        const c = /** @type {import('../lib/api.js').Answer<{ candidates: { id: string }[] }>} */ (
          await read('sync/candidates', { name: x.name })
        );
        return c.body?.candidates.map((y) => y.id);
      }),
    );
    if (mine !== turn) return;
    candidates.forEach((c, i) => {
      const x = list[i];
      if (x && c) x.candidates = c;
    });
    elections.set(list, 'No election has a leader.');
  }

  void load();
  const reading = setInterval(() => void load(), REFRESH);
  const ticking = setInterval(() => {
    locks.redraw();
    elections.redraw();
  }, 1000);
  return () => {
    turn++;
    clearInterval(reading);
    clearInterval(ticking);
    locks.stop();
    elections.stop();
  };
}
