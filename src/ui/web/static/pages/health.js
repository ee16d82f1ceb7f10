// The health of every node: Debug.Health called on each, directly at its address (the server
// probes a bounded number at once). Only the rows in view are drawn.
import { errorLine, health } from '../lib/api.js';
import { h, link } from '../lib/dom.js';
import { naturalCompare } from '../lib/live.js';
import { virtualTable } from '../lib/virtual.js';

/** @typedef {import('../lib/api.js').NodeHealth} NodeHealth */

/** The height of one row in pixels. */
const ROW = 41;

/** @param {HTMLElement} root */
export function render(root) {
  const summary = h('span', { class: 'count' });
  const body = h('tbody');
  const problem = h('p', { class: 'problem', hidden: true });
  const button = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', onclick: () => void check() }, 'Check again')
  );
  const grid = h(
    'table',
    { class: 'grid health virtual' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Service', 'Version', 'Node', 'Address', 'Status', 'Latency', 'Error'].map((t) =>
          h('th', null, t),
        ),
      ),
    ),
    body,
  );
  /** @type {NodeHealth[]} */
  let rows = [];
  const table = virtualTable({
    table: grid,
    body,
    columns: 7,
    rowHeight: ROW,
    row: (i) => {
      const r = /** @type {NodeHealth} */ (rows[i]);
      return {
        key: `${r.service}\u0000${r.node}`,
        sig: `${r.status}|${r.ms}|${r.error?.detail ?? ''}`,
        build: () => row(r),
      };
    },
  });
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Health ', summary), button),
    problem,
    table.el,
  );

  let turn = 0;
  async function check() {
    const mine = ++turn;
    button.disabled = true;
    summary.textContent = '…';
    const answer = await health();
    if (mine !== turn) return;
    button.disabled = false;
    if (!answer.body) {
      problem.hidden = false;
      problem.textContent = errorLine(answer);
      return;
    }
    problem.hidden = true;
    rows = answer.body.nodes;
    rows.sort((a, b) => naturalCompare(a.service, b.service) || naturalCompare(a.node, b.node));
    summary.textContent = `${rows.filter((r) => r.status === 'ok').length} of ${rows.length} healthy`;
    grid.dataset.total = String(rows.length);
    table.update(rows.length);
  }

  void check();
  return () => {
    turn++;
    table.stop();
  };
}

/** @param {NodeHealth} r */
function row(r) {
  return h(
    'tr',
    { dataset: { node: r.node } },
    h('td', null, h('a', { href: link('service', r.service), class: 'name' }, r.service)),
    h('td', null, h('span', { class: 'tag' }, r.version)),
    h('td', { class: 'mono', title: r.node }, r.node),
    h('td', { class: 'mono nowrap', title: r.address }, r.address),
    h(
      'td',
      null,
      h(
        'span',
        { class: `badge ${r.status === 'ok' ? 'good' : r.error ? 'bad' : 'warn'}` },
        r.status,
      ),
    ),
    h('td', { class: 'num' }, `${r.ms} ms`),
    h(
      'td',
      { class: 'small', title: r.error ? `${r.error.code} ${r.error.detail}` : undefined },
      r.error ? `${r.error.code} ${r.error.detail}` : '',
    ),
  );
}
