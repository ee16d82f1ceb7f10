// The topics list: every topic subscribed to, with its subscribers, queue groups and the services
// subscribing, read again as the registry changes.
import { errorLine, topics } from '../lib/api.js';
import { h, link, replace } from '../lib/dom.js';
import { onChange } from '../lib/live.js';

/** Milliseconds to gather changes (a service starting registers twice) into one read. */
const SETTLE = 100;

/** @param {HTMLElement} root */
export function render(root) {
  const count = h('span', { class: 'count' });
  const body = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true });
  const problem = h('p', { class: 'problem', hidden: true });
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Topics ', count)),
    problem,
    h(
      'table',
      { class: 'grid topics' },
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
    ),
    empty,
  );

  let turn = 0;
  async function fill() {
    const mine = ++turn;
    const answer = await topics();
    if (mine !== turn) return;
    problem.hidden = answer.ok;
    if (!answer.body) {
      problem.textContent = errorLine(answer);
      return;
    }
    const list = answer.body.topics;
    count.textContent = String(list.length);
    replace(
      body,
      list.map((t) =>
        h(
          'tr',
          { dataset: { topic: t.topic } },
          h('td', { class: 'name' }, t.topic),
          h('td', { class: 'num' }, String(t.subscribers)),
          h(
            'td',
            null,
            t.queues.length ? t.queues.map((q) => h('span', { class: 'tag' }, q)) : '—',
          ),
          h(
            'td',
            null,
            t.services.map((s, i) => [
              i > 0 ? ', ' : null,
              h('a', { href: link('service', s), class: 'name' }, s),
            ]),
          ),
        ),
      ),
    );
    empty.hidden = list.length > 0;
    empty.textContent =
      'No topic has subscribers yet. A service subscribes with service.subscribe(topic, fn).';
  }

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let pending;
  void fill();
  const stop = onChange(() => {
    clearTimeout(pending);
    pending = setTimeout(() => void fill(), SETTLE);
  });
  return () => {
    clearTimeout(pending);
    turn++;
    stop();
  };
}
