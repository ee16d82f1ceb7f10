// The services list: every service with its versions and nodes, updated live, with a search box.
import { h, link, replace, webAppLink } from '../lib/dom.js';
import { isReady, isWebApp, onChange, services } from '../lib/live.js';

let query = '';

/**
 * The services grouped by name.
 * @param {import('../lib/live.js').Service[]} list
 */
function byName(list) {
  /** @type {Map<string, import('../lib/live.js').Service[]>} */
  const groups = new Map();
  for (const s of list) groups.set(s.name, [...(groups.get(s.name) ?? []), s]);
  return [...groups];
}

/** @param {HTMLElement} root */
export function render(root) {
  const count = h('span', { class: 'count' });
  const search = h('input', {
    type: 'search',
    class: 'search',
    placeholder: 'Search services',
    'aria-label': 'Search services',
    value: query,
    oninput: () => {
      query = /** @type {HTMLInputElement} */ (search).value;
      fill();
    },
  });
  const body = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true });
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Services ', count), search),
    h(
      'table',
      { class: 'grid services' },
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
    ),
    empty,
  );

  function fill() {
    const groups = byName(services());
    const needle = query.trim().toLowerCase();
    const shown = groups.filter(([name]) => name.toLowerCase().includes(needle));
    count.textContent = String(groups.length);
    replace(
      body,
      shown.map(([name, versions]) =>
        h(
          'tr',
          { dataset: { service: name } },
          h('td', null, h('a', { href: link('service', name), class: 'name' }, name)),
          h(
            'td',
            null,
            versions.map((s) => h('span', { class: 'tag' }, s.version)),
          ),
          h('td', { class: 'num' }, String(versions.reduce((n, s) => n + s.nodes.length, 0))),
          h(
            'td',
            { class: 'num' },
            String(new Set(versions.flatMap((s) => s.endpoints.map((e) => e.name))).size),
          ),
          h('td', null, isWebApp(versions) ? webAppLink(name) : null),
        ),
      ),
    );
    empty.hidden = shown.length > 0 || !isReady();
    empty.textContent =
      groups.length === 0
        ? 'No services are registered yet. Start one: micro run ./greeter'
        : `No service matches "${query}".`;
  }

  fill();
  search.focus();
  return onChange(fill);
}
