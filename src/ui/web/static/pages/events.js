// The live feed of registry events: services and nodes coming, changing and going. Newest first,
// the latest KEEP of them, added once per animation frame.
import { clock, h, link, replace } from '../lib/dom.js';
import { KEEP, onChange, recent } from '../lib/live.js';

/** @param {import('../lib/live.js').RecentEvent} e */
function row(e) {
  const more = e.nodeCount - e.nodes.length;
  return h(
    'li',
    { class: `event ${e.action}`, dataset: { action: e.action, service: e.name } },
    h('time', { class: 'mono muted' }, clock(e.at)),
    h(
      'span',
      { class: `badge ${e.action === 'create' ? 'good' : e.action === 'delete' ? 'bad' : 'warn'}` },
      e.action,
    ),
    e.topic === undefined
      ? h('a', { href: link('service', e.name), class: 'name' }, e.name)
      : h('a', { href: link('topics'), class: 'name' }, `topic ${e.topic}`),
    h('span', { class: 'tag' }, e.version),
    h(
      'span',
      { class: 'muted mono small' },
      e.nodes.join(', ') + (more > 0 ? ` and ${more} more` : ''),
    ),
  );
}

/** @param {HTMLElement} root */
export function render(root) {
  const list = h('ol', { class: 'feed', reversed: true });
  const empty = h(
    'p',
    { class: 'empty' },
    'No registry events yet. They appear here as services start and stop.',
  );
  root.append(h('div', { class: 'head' }, h('h1', null, 'Registry events')), empty, list);
  const fill = () => {
    const events = recent();
    empty.hidden = events.length > 0;
    replace(list, [...events].reverse().map(row));
  };
  fill();
  return onChange((change) => {
    if (change.reset) return fill();
    if (change.events.length === 0) return;
    empty.hidden = true;
    list.prepend(...change.events.slice(-KEEP).reverse().map(row));
    while (list.childElementCount > KEEP) list.lastElementChild?.remove();
  });
}
