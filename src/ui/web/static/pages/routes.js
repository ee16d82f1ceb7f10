// The traffic rules of every service, as `micro route` set them: each rule's routes in order, what
// each matches (an endpoint, metadata), its destinations with their share as a bar, the metadata
// key a route sticks by, and the share mirrored; refreshed every few seconds while shown. Read
// only. Every name and value goes in as text, never as HTML.
import { errorLine, read } from '../lib/api.js';
import { chips, h, link, relative } from '../lib/dom.js';
import { naturalCompare } from '../lib/live.js';

/** @typedef {{ version?: string, metadata?: Record<string, string>, weight?: number }} Destination */
/** @typedef {{ name?: string, match?: { endpoint?: string, metadata?: Record<string, string> }, to: Destination[], sticky?: string, mirror?: Destination & { percent: number } }} Route */
/** @typedef {{ service: string, routes: Route[], author?: string, updated?: number }} TrafficRule */

/** Ms between refreshes. */
const REFRESH = 5000;

/** @param {HTMLElement} root */
export function render(root) {
  const summary = h('span', { class: 'count' });
  const problem = h('p', { class: 'problem', hidden: true });
  const body = h('div', { class: 'routes' });
  root.append(h('div', { class: 'head' }, h('h1', null, 'Routes ', summary)), problem, body);

  let turn = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  async function refresh() {
    const mine = ++turn;
    /** @type {import('../lib/api.js').Answer<{ rules: TrafficRule[] }>} */
    const answer = await read('routes', {});
    if (mine !== turn) return;
    if (answer.body) {
      problem.hidden = true;
      show(answer.body.rules);
    } else {
      problem.hidden = false;
      problem.textContent = errorLine(answer);
    }
    timer = setTimeout(() => void refresh(), REFRESH);
  }

  /** @param {TrafficRule[]} rules */
  function show(rules) {
    const sorted = [...rules].sort((a, b) => naturalCompare(a.service, b.service));
    summary.textContent = `${rules.length} rule${rules.length === 1 ? '' : 's'}`;
    if (sorted.length === 0) {
      body.replaceChildren(
        h(
          'p',
          { class: 'empty' },
          'No traffic rules: every call goes to any node of its service. ',
          h('span', { class: 'mono' }, 'micro route weight SERVICE VERSION=W ...'),
          ' sets one.',
        ),
      );
      return;
    }
    body.replaceChildren(...sorted.map(ruleSection));
  }

  void refresh();
  return () => {
    turn++;
    clearTimeout(timer);
  };
}

/**
 * One service's rule: its routes as a table.
 * @param {TrafficRule} rule
 */
function ruleSection(rule) {
  return h(
    'section',
    { class: 'route-rule', dataset: { service: rule.service } },
    h(
      'h2',
      null,
      h('a', { href: link('service', rule.service), class: 'name' }, rule.service),
      rule.updated !== undefined || rule.author
        ? h(
            'span',
            { class: 'muted small' },
            ` changed${rule.author ? ` by ${rule.author}` : ''}${rule.updated !== undefined ? ` ${relative(rule.updated)}` : ''}`,
          )
        : null,
    ),
    h(
      'table',
      { class: 'grid routes-table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['#', 'Route', 'Match', 'Destinations', 'Sticky', 'Mirror'].map((t) => h('th', null, t)),
        ),
      ),
      h(
        'tbody',
        null,
        rule.routes.map((r, i) =>
          h(
            'tr',
            { dataset: { route: String(i) } },
            h('td', { class: 'num' }, String(i + 1)),
            h('td', { class: 'name' }, r.name ?? h('span', { class: 'muted' }, '—')),
            h('td', { class: 'route-match' }, match(r)),
            h('td', null, destinations(r.to)),
            h('td', { class: 'mono' }, r.sticky ?? h('span', { class: 'muted' }, '—')),
            h('td', null, r.mirror ? mirror(r.mirror) : h('span', { class: 'muted' }, '—')),
          ),
        ),
      ),
    ),
  );
}

/**
 * What a route takes: its endpoint and metadata, or every call.
 * @param {Route} r
 */
function match(r) {
  const m = r.match;
  const parts = [];
  if (m?.endpoint) parts.push(h('span', { class: 'tag' }, m.endpoint));
  if (m?.metadata && Object.keys(m.metadata).length > 0) parts.push(chips(m.metadata));
  return parts.length > 0 ? parts : h('span', { class: 'muted' }, 'every call');
}

/**
 * A destination's name: its version and metadata labels.
 * @param {Omit<Destination, 'weight'>} d
 */
function target(d) {
  const parts = [];
  if (d.version !== undefined) parts.push(h('span', { class: 'mono' }, d.version));
  if (d.metadata && Object.keys(d.metadata).length > 0) parts.push(chips(d.metadata));
  return parts.length > 0 ? parts : h('span', { class: 'muted' }, 'any node');
}

/**
 * The destinations with their share of the route's calls as a bar.
 * @param {Destination[]} to
 */
function destinations(to) {
  const total = to.reduce((n, d) => n + (d.weight ?? 100), 0);
  return h(
    'div',
    { class: 'weights' },
    to.map((d) => {
      const share = total > 0 ? ((d.weight ?? 100) / total) * 100 : 0;
      const percent = `${Math.round(share * 10) / 10}%`;
      const fill = h('span', { class: 'weight-fill' });
      // Set through the CSSOM (the page's CSP refuses style attributes); a number only.
      fill.style.width = `${share.toFixed(1)}%`;
      return h(
        'div',
        {
          class: 'weight',
          dataset: { version: d.version ?? '' },
          title: `weight ${d.weight ?? 100}`,
        },
        h('span', { class: 'weight-name' }, target(d)),
        h('span', { class: 'weight-bar', role: 'img', 'aria-label': percent }, fill),
        h('span', { class: 'weight-share num' }, percent),
      );
    }),
  );
}

/**
 * A mirror: the share copied and where.
 * @param {Destination & { percent: number }} m
 */
function mirror(m) {
  return h('span', { class: 'mirror' }, `${m.percent}% to `, target(m));
}
