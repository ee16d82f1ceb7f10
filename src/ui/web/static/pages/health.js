// The health of every node: Debug.Health called on each, directly at its address.
import { errorLine, health } from '../lib/api.js';
import { h, link, replace } from '../lib/dom.js';

/** @param {HTMLElement} root */
export function render(root) {
  const summary = h('span', { class: 'count' });
  const body = h('tbody');
  const problem = h('p', { class: 'problem', hidden: true });
  const button = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', onclick: () => void check() }, 'Check again')
  );
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Health ', summary), button),
    problem,
    h(
      'table',
      { class: 'grid health' },
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
    ),
  );

  async function check() {
    button.disabled = true;
    summary.textContent = '…';
    const answer = await health();
    button.disabled = false;
    if (!answer.body) {
      problem.hidden = false;
      problem.textContent = errorLine(answer);
      return;
    }
    problem.hidden = true;
    const rows = answer.body.nodes;
    rows.sort((a, b) => a.service.localeCompare(b.service) || a.node.localeCompare(b.node));
    summary.textContent = `${rows.filter((r) => r.status === 'ok').length} of ${rows.length} healthy`;
    replace(
      body,
      rows.map((r) =>
        h(
          'tr',
          { dataset: { node: r.node } },
          h('td', null, h('a', { href: link('service', r.service), class: 'name' }, r.service)),
          h('td', null, h('span', { class: 'tag' }, r.version)),
          h('td', { class: 'mono' }, r.node),
          h('td', { class: 'mono nowrap' }, r.address),
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
          h('td', { class: 'small' }, r.error ? `${r.error.code} ${r.error.detail}` : ''),
        ),
      ),
    );
  }

  void check();
}
