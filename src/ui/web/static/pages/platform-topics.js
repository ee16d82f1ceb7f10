// The platform page's parts: the durable topics (offsets, count, retention), the consumer groups
// (position, pending, lag, members, dead-lettered) and a replay of one topic's range, read from
// offset `from` a page at a time (Next reads on from the page's end).
import { errorLine, read } from '../lib/api.js';
import { h, clock, link, pretty, relative, replace } from '../lib/dom.js';

/** @typedef {{ topic: string, first: number, last: number, count: number, lastTime: number, retention: { maxAge: number, maxCount: number } }} TopicInfo */
/** @typedef {{ topic: string, group: string, position: number, pending: number, lag: number, members: number, deadLettered: number }} GroupInfo */
/** @typedef {{ topic: string, offset: number, id: string, key?: string, time: number, metadata: Record<string, string>, data: unknown, dataBytes?: number }} ShownEvent */

/** Events per page of a replay. */
const PAGE = 50;

/** @param {number} ms */
function span(ms) {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/**
 * A titled table read again on each load.
 * @template T
 * @param {{ title: string, name: string, columns: string[], row: (item: T) => HTMLElement }} o
 */
function part(o) {
  const count = h('span', { class: 'count' });
  const body = h('tbody');
  const problem = h('p', { class: 'problem', hidden: true });
  const empty = h('p', { class: 'empty', hidden: true });
  const el = h(
    'section',
    { class: `platform-part ${o.name}` },
    h('h2', null, `${o.title} `, count),
    problem,
    h(
      'table',
      { class: `grid ${o.name}` },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          o.columns.map((c) => h('th', null, c)),
        ),
      ),
      body,
    ),
    empty,
  );
  return {
    el,
    /**
     * @param {import('../lib/api.js').Answer<unknown>} a
     * @param {T[] | undefined} items
     * @param {string} none
     */
    show(a, items, none) {
      problem.hidden = a.ok;
      if (!a.ok) problem.textContent = errorLine(a);
      if (!items) return;
      count.textContent = String(items.length);
      empty.hidden = items.length > 0;
      empty.textContent = none;
      replace(body, items.map(o.row));
    },
  };
}

/**
 * The topics, each opening its replay; onList is given their names at each read.
 * @param {(topic: string) => void} onOpen
 * @param {(names: string[]) => void} onList
 */
export function topicsPart(onOpen, onList) {
  const p = part({
    title: 'Durable topics',
    name: 'durable-topics',
    columns: ['Topic', 'Offsets', 'Count', 'Newest', 'Retention'],
    row: (/** @type {TopicInfo} */ t) =>
      h(
        'tr',
        { dataset: { topic: t.topic } },
        h(
          'td',
          { class: 'name' },
          h(
            'a',
            {
              href: link('platform', t.topic),
              onclick: (/** @type {Event} */ e) => (e.preventDefault(), onOpen(t.topic)),
            },
            t.topic,
          ),
        ),
        h('td', { class: 'num offsets' }, t.count ? `${t.first}–${t.last}` : '—'),
        h('td', { class: 'num retained' }, String(t.count)),
        h('td', { class: 'small' }, t.lastTime ? relative(t.lastTime) : '—'),
        h('td', { class: 'small' }, `${span(t.retention.maxAge)}, ${t.retention.maxCount} events`),
      ),
  });
  return {
    el: p.el,
    async load() {
      const a = /** @type {import('../lib/api.js').Answer<{ topics: TopicInfo[] }>} */ (
        await read('events/topics')
      );
      p.show(a, a.body?.topics, 'No topic yet: micro events publish TOPIC DATA makes one.');
      if (a.body) onList(a.body.topics.map((t) => t.topic));
    },
  };
}

/** The consumer groups of every topic. */
export function groupsPart() {
  const p = part({
    title: 'Consumer groups',
    name: 'groups',
    columns: ['Topic', 'Group', 'Position', 'Pending', 'Lag', 'Members', 'Dead-lettered'],
    row: (/** @type {GroupInfo} */ g) =>
      h(
        'tr',
        { dataset: { topic: g.topic, group: g.group } },
        h('td', { class: 'mono' }, g.topic),
        h('td', { class: 'mono group' }, g.group),
        h('td', { class: 'num position' }, String(g.position)),
        h('td', { class: 'num pending' }, String(g.pending)),
        h('td', { class: 'num lag' }, String(g.lag)),
        h('td', { class: 'num members' }, String(g.members)),
        h('td', { class: 'num dead' }, String(g.deadLettered)),
      ),
  });
  return {
    el: p.el,
    async load() {
      const a = /** @type {import('../lib/api.js').Answer<{ groups: GroupInfo[] }>} */ (
        await read('events/groups')
      );
      p.show(a, a.body?.groups, 'No consumer group yet: subscribe with a group to make one.');
    },
  };
}

/** A replay of one topic's range: from an offset, a page at a time. */
export function replayPart() {
  let topic = '';
  /** @type {number | undefined} */
  let next;
  const title = h('h2', { class: 'mono' });
  const from = /** @type {HTMLInputElement} */ (
    h('input', { id: 'replay-from', class: 'field', type: 'number', min: 0, placeholder: 'oldest' })
  );
  const limit = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'replay-limit',
      class: 'field',
      type: 'number',
      min: 1,
      max: 200,
      value: PAGE,
    })
  );
  const problem = h('p', { class: 'problem', hidden: true });
  const body = h('tbody');
  const nextButton = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', hidden: true, onclick: () => void load(next) }, 'Next')
  );
  const el = h(
    'section',
    { class: 'card replay', hidden: true },
    title,
    h(
      'form',
      {
        class: 'replay-form',
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          void load(from.value === '' ? undefined : Number(from.value));
        },
      },
      h('label', { for: 'replay-from' }, 'From offset'),
      from,
      h('label', { for: 'replay-limit' }, 'Events'),
      limit,
      h('button', { type: 'submit', class: 'primary' }, 'Read'),
    ),
    problem,
    h(
      'table',
      { class: 'grid replay-events' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Offset', 'Time', 'Key', 'Data'].map((c) => h('th', null, c)),
        ),
      ),
      body,
    ),
    h('div', { class: 'actions' }, nextButton),
  );

  /** @param {number | undefined} at */
  async function load(at) {
    const wanted = topic;
    const a =
      /** @type {import('../lib/api.js').Answer<{ events: ShownEvent[], next?: number }>} */ (
        await read('events/read', {
          topic,
          from: at,
          limit: limit.value === '' ? undefined : Number(limit.value),
        })
      );
    if (wanted !== topic) return;
    problem.hidden = a.ok;
    if (!a.body) return void (problem.textContent = errorLine(a));
    if (at !== undefined) from.value = String(at);
    next = a.body.next;
    nextButton.hidden = next === undefined;
    replace(
      body,
      a.body.events.length === 0
        ? h('tr', null, h('td', { colspan: 4, class: 'empty' }, 'No events in this range.'))
        : a.body.events.map((e) =>
            h(
              'tr',
              { dataset: { offset: String(e.offset) } },
              h('td', { class: 'num' }, String(e.offset)),
              h(
                'td',
                { class: 'mono nowrap', title: new Date(e.time).toLocaleString() },
                clock(e.time),
              ),
              h('td', { class: 'mono' }, e.key ?? '—'),
              h(
                'td',
                null,
                h('pre', { class: 'json data' }, e.dataBytes ? String(e.data) : pretty(e.data)),
                e.dataBytes
                  ? h('span', { class: 'muted small' }, `cut: ${e.dataBytes} bytes`)
                  : null,
              ),
            ),
          ),
    );
  }

  return {
    el,
    /** @param {string} t opens the replay of a topic from its oldest event */
    open(t) {
      topic = t;
      el.hidden = false;
      title.textContent = `Replay ${t}`;
      from.value = '';
      history.replaceState(null, '', link('platform', t));
      void load(undefined);
      el.scrollIntoView({ block: 'nearest' });
    },
  };
}
