// Platform events: what happened to the platform (services up and down, config changed, locks,
// deployments), read live from the micro.* topics of the events area, newest first, the latest KEEP
// of them, narrowed by topic (a platform topic, or any durable topic, followed instead), action
// and text (the dashboard filters before it sends). Below them
// the durable topics and the consumer groups, read again every REFRESH ms, and a replay of one
// topic's range. Not the registry feed of the Events page. #/platform/<topic> opens a replay.
import { h, clock, replace } from '../lib/dom.js';
import { followEvents } from '../lib/follow.js';
import { groupsPart, replayPart, topicsPart } from './platform-topics.js';

/** @typedef {import('../lib/follow.js').PlatformLine} PlatformLine */

/** Lines kept and shown. */
const KEEP = 500;
/** Milliseconds between reads of the topics and groups. */
const REFRESH = 3000;
const TOPICS = ['micro.registry', 'micro.config', 'micro.sync', 'micro.runtime', 'micro.health'];
const ACTIONS = [
  'register',
  'deregister',
  'expire',
  'set',
  'delete',
  'rollback',
  'lock',
  'unlock',
  'leader',
  'deploy',
  'start',
  'exit',
  'restart',
  'stop',
  'healthy',
  'unhealthy',
];
const GOOD = new Set(['register', 'set', 'lock', 'leader', 'deploy', 'start', 'healthy']);
const BAD = new Set(['deregister', 'expire', 'delete', 'exit', 'stop', 'unhealthy']);

/** @param {PlatformLine} e */
function row(e) {
  return h(
    'li',
    { class: 'event', dataset: { topic: e.topic, action: e.action, offset: String(e.offset) } },
    h(
      'time',
      { class: 'mono muted nowrap', title: new Date(e.time).toLocaleString() },
      clock(e.time),
    ),
    h('span', { class: 'tag topic' }, e.topic.replace(/^micro\./, '')),
    h(
      'span',
      { class: `badge action ${GOOD.has(e.action) ? 'good' : BAD.has(e.action) ? 'bad' : 'warn'}` },
      e.action || '—',
    ),
    h('span', { class: 'summary' }, e.summary),
  );
}

/**
 * @param {string} label
 * @param {string[]} options
 * @param {() => void} onchange
 */
const chooser = (label, options, onchange) =>
  /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { 'aria-label': label, onchange },
      h('option', { value: '' }, `Every ${label.toLowerCase()}`),
      options.map((o) => h('option', { value: o }, o)),
    )
  );

/**
 * @param {HTMLElement} root
 * @param {string} [topic] a topic whose replay opens
 */
export function render(root, topic) {
  /** @type {PlatformLine[]} */
  let lines = [];
  /** @type {(() => void) | undefined} */
  let stop;
  let frame = 0;
  let typing = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);

  const count = h('span', { class: 'count' });
  const topics = chooser('Topic', TOPICS, () => follow());
  const actions = chooser('Action', ACTIONS, () => follow());
  const search = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'search',
      class: 'search',
      placeholder: 'Service or name',
      'aria-label': 'Service or name',
      oninput: () => {
        clearTimeout(typing);
        typing = setTimeout(follow, 250);
      },
    })
  );
  const problem = h('p', { class: 'problem', hidden: true });
  const list = h('ol', { class: 'feed platform' });
  const empty = h('p', { class: 'empty' });
  const replay = replayPart();
  const topicList = topicsPart(
    (t) => replay.open(t),
    (names) => {
      // Any durable topic can be followed live too, after the platform's own.
      const known = new Set([...topics.options].map((o) => o.value));
      for (const n of names) if (!known.has(n)) topics.append(h('option', { value: n }, n));
    },
  );
  const groups = groupsPart();
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Platform events ', count), topics, actions, search),
    problem,
    empty,
    list,
    h('div', { class: 'platform-parts' }, topicList.el, groups.el),
    replay.el,
  );

  const draw = () => {
    frame = 0;
    count.textContent = String(lines.length);
    empty.hidden = lines.length > 0;
    empty.textContent =
      topics.value || actions.value || search.value
        ? 'No platform event matches these filters yet.'
        : 'No platform events yet. They appear here as services start and stop, config changes and locks are taken.';
    replace(list, lines.map(row));
  };

  /** @param {PlatformLine[]} more */
  const add = (more) => {
    const seen = new Set(lines.map((e) => `${e.topic} ${e.offset}`));
    for (const e of more) if (!seen.has(`${e.topic} ${e.offset}`)) lines.push(e);
    lines.sort((a, b) => b.time - a.time || b.offset - a.offset);
    if (lines.length > KEEP) lines.length = KEEP;
    if (!frame) frame = requestAnimationFrame(draw);
  };

  /** (Re)opens the stream with the filters chosen: the backlog again, then every new event. */
  function follow() {
    clearTimeout(typing);
    stop?.();
    lines = [];
    draw();
    const q = new URLSearchParams();
    if (topics.value) q.set('topic', topics.value);
    if (actions.value) q.set('action', actions.value);
    if (search.value) q.set('text', search.value.slice(0, 200));
    stop = followEvents(q, {
      onEvents: add,
      onProblem: (line) => {
        problem.hidden = line === undefined;
        problem.textContent = line ?? '';
      },
    });
  }

  const load = () => {
    void topicList.load();
    void groups.load();
  };
  follow();
  load();
  if (topic) replay.open(topic);
  const reading = setInterval(load, REFRESH);
  return () => {
    stop?.();
    clearInterval(reading);
    clearTimeout(typing);
    cancelAnimationFrame(frame);
  };
}
