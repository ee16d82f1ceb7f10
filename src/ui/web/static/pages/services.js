// The services list: one row per service name with its versions, nodes and endpoints, updated live
// per animation frame, with a search box. Only the rows in view are drawn.
import { h, link, webAppLink } from '../lib/dom.js';
import { isReady, onChange, serviceNames, summary } from '../lib/live.js';
import { virtualTable } from '../lib/virtual.js';

/** The height of one row in pixels (app.css keeps rows to it). */
const ROW = 41;

let query = '';
let firstRows = false;

/** @param {HTMLElement} root */
export function render(root) {
  const count = h('span', { class: 'count' });
  const search = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'search',
      class: 'search',
      placeholder: 'Search services',
      'aria-label': 'Search services',
      value: query,
      oninput: () => {
        query = search.value;
        table.toTop();
        fill();
      },
    })
  );
  const body = h('tbody');
  const grid = h(
    'table',
    { class: 'grid services virtual' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Name', 'Versions', 'Nodes', 'Endpoints', ''].map((t) => h('th', null, t)),
      ),
    ),
    body,
  );
  /** @type {string[]} the names that match the search, in natural order */
  let shown = [];
  const table = virtualTable({
    table: grid,
    body,
    columns: 5,
    rowHeight: ROW,
    row: (i) => {
      const name = /** @type {string} */ (shown[i]);
      const s = summary(name);
      const sig = s ? `${s.versions.join()}|${s.nodes}|${s.endpoints}|${s.web}` : '';
      return { key: name, sig, build: () => row(name) };
    },
  });
  const empty = h('p', { class: 'empty', hidden: true });
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Services ', count), search),
    table.el,
    empty,
  );

  function fill() {
    const all = serviceNames();
    const needle = query.trim().toLowerCase();
    shown = needle ? all.filter((name) => name.toLowerCase().includes(needle)) : all.slice();
    count.textContent = String(all.length);
    grid.dataset.total = String(all.length);
    grid.dataset.shown = String(shown.length);
    table.update(shown.length);
    if (!firstRows && shown.length > 0) {
      firstRows = true;
      // Measured by the browser tests: when the first rows were drawn.
      performance.mark('micro:rows');
    }
    empty.hidden = shown.length > 0 || !isReady();
    empty.textContent =
      all.length === 0
        ? 'No services are registered yet. Start one: micro run ./greeter'
        : `No service matches "${query}".`;
  }

  fill();
  search.focus();
  const stop = onChange(fill);
  return () => {
    stop();
    table.stop();
  };
}

/**
 * One service's row.
 * @param {string} name
 */
function row(name) {
  const s = summary(name);
  return h(
    'tr',
    { dataset: { service: name } },
    h('td', null, h('a', { href: link('service', name), class: 'name' }, name)),
    h(
      'td',
      { class: 'versions' },
      (s?.versions ?? []).map((v) => h('span', { class: 'tag' }, v)),
    ),
    h('td', { class: 'num' }, String(s?.nodes ?? 0)),
    h('td', { class: 'num' }, String(s?.endpoints ?? 0)),
    h('td', null, s?.web ? webAppLink(name) : null),
  );
}
