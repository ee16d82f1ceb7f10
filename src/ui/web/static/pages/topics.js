// The topics list: every topic subscribed to, with its subscribers, queue groups and the services
// subscribing, as the registry stream reports them. Only the rows in view are drawn.
import { h, link } from '../lib/dom.js';
import { onChange, topics } from '../lib/live.js';
import { virtualTable } from '../lib/virtual.js';

/** The height of one row in pixels. */
const ROW = 41;

/** @param {HTMLElement} root */
export function render(root) {
  const count = h('span', { class: 'count' });
  const body = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true });
  const grid = h(
    'table',
    { class: 'grid topics virtual' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Topic', 'Subscribers', 'Queue groups', 'Services'].map((t) => h('th', null, t)),
      ),
    ),
    body,
  );
  /** @type {import('../lib/api.js').Topic[]} */
  let list = [];
  const table = virtualTable({
    table: grid,
    body,
    columns: 4,
    rowHeight: ROW,
    row: (i) => {
      const t = /** @type {import('../lib/api.js').Topic} */ (list[i]);
      return { key: t.topic, sig: JSON.stringify(t), build: () => row(t) };
    },
  });
  root.append(h('div', { class: 'head' }, h('h1', null, 'Topics ', count)), table.el, empty);

  function fill() {
    list = topics();
    count.textContent = String(list.length);
    grid.dataset.total = String(list.length);
    table.update(list.length);
    empty.hidden = list.length > 0;
    empty.textContent =
      'No topic has subscribers yet. A service subscribes with service.subscribe(topic, fn).';
  }

  fill();
  const stop = onChange((change) => {
    if (change.topics) fill();
  });
  return () => {
    stop();
    table.stop();
  };
}

/** @param {import('../lib/api.js').Topic} t */
function row(t) {
  return h(
    'tr',
    { dataset: { topic: t.topic } },
    h('td', { class: 'name' }, t.topic),
    h('td', { class: 'num' }, String(t.subscribers)),
    h('td', null, t.queues.length ? t.queues.map((q) => h('span', { class: 'tag' }, q)) : '—'),
    h(
      'td',
      null,
      t.services.map((s, i) => [
        i > 0 ? ', ' : null,
        h('a', { href: link('service', s), class: 'name' }, s),
      ]),
    ),
  );
}
