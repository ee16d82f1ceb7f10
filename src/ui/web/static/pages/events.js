// The live feed of registry events: services and nodes coming, changing and going.
import { clock, h, link, replace } from '../lib/dom.js';
import { onChange, recent } from '../lib/live.js';

/** @param {import('../lib/live.js').FeedEvent} e */
function row(e) {
  const s = e.service;
  return h(
    'li',
    { class: `event ${e.action}`, dataset: { action: e.action, service: s.name } },
    h('time', { class: 'mono muted' }, clock(e.at)),
    h(
      'span',
      { class: `badge ${e.action === 'create' ? 'good' : e.action === 'delete' ? 'bad' : 'warn'}` },
      e.action,
    ),
    e.topic === undefined
      ? h('a', { href: link('service', s.name), class: 'name' }, s.name)
      : h('a', { href: link('topics'), class: 'name' }, `topic ${e.topic}`),
    h('span', { class: 'tag' }, s.version),
    h('span', { class: 'muted mono small' }, s.nodes.map((n) => `${n.id} ${n.address}`).join(', ')),
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
  return onChange((event) => {
    if (!event) return fill();
    empty.hidden = true;
    list.prepend(row(event));
  });
}
