// The health of every node. With the control plane's monitor: each service's nodes as it last
// probed them (status colour, degraded marker, failing checks), an overview per service and the
// recent changes, refreshed every few seconds. Without one: Debug.Health called on each node,
// directly at its address (the server probes a bounded number at once). Only the rows in view are
// drawn.
import { errorLine, health, monitorHistory, monitorStatus } from '../lib/api.js';
import { clock, h, link, relative, replace } from '../lib/dom.js';
import { naturalCompare } from '../lib/live.js';
import { virtualTable } from '../lib/virtual.js';

/** @typedef {import('../lib/api.js').NodeHealth} NodeHealth */
/** @typedef {import('../lib/api.js').NodeStatus} NodeStatus */
/** @typedef {import('../lib/api.js').StatusChange} StatusChange */

/**
 * One row as drawn, from the monitor or from a probe.
 * @typedef {{ service: string, version: string, node: string, address: string, status: string,
 *   tone: 'good' | 'bad' | 'warn', degraded: boolean, healthy: boolean, when: string, detail: string }} Row
 */

/** The height of one row in pixels. */
const ROW = 41;
/** Ms between refreshes while the monitor answers. */
const EVERY = 3000;
/** Changes shown. */
const CHANGES = 50;

/** @param {NodeStatus} n @returns {Row} */
function fromMonitor(n) {
  const failing = n.checks.filter((c) => c.status === 'failing');
  return {
    service: n.service,
    version: n.version,
    node: n.node,
    address: n.address,
    status: n.status,
    tone:
      n.status === 'healthy'
        ? n.degraded
          ? 'warn'
          : 'good'
        : n.status === 'unhealthy'
          ? 'bad'
          : 'warn',
    degraded: n.degraded,
    healthy: n.status === 'healthy',
    when: `since ${relative(n.since)}`,
    detail:
      failing.length > 0
        ? failing
            .map((c) => `${c.name}${c.critical ? '' : ' (non-critical)'}: ${c.detail ?? 'failing'}`)
            .join('; ')
        : (n.detail ?? ''),
  };
}

/** @param {NodeHealth} r @returns {Row} */
function fromProbe(r) {
  const healthy = r.status === 'ok' || r.status === 'degraded';
  return {
    service: r.service,
    version: r.version,
    node: r.node,
    address: r.address,
    status: r.status,
    tone: r.status === 'ok' ? 'good' : r.error || r.status === 'unhealthy' ? 'bad' : 'warn',
    degraded: r.status === 'degraded',
    healthy,
    when: `${r.ms} ms`,
    detail: r.error ? `${r.error.code} ${r.error.detail}` : '',
  };
}

/** @param {HTMLElement} root */
export function render(root) {
  const summary = h('span', { class: 'count' });
  const body = h('tbody');
  const problem = h('p', { class: 'problem', hidden: true });
  const source = h('p', { class: 'muted small', id: 'health-source' });
  const overview = h('div', { class: 'chips health-overview', id: 'health-overview' });
  const changes = h('tbody');
  const recent = h(
    'section',
    { id: 'health-changes', hidden: true },
    h('h2', null, 'Recent changes'),
    h(
      'table',
      { class: 'grid' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Time', 'Service', 'Node', 'Change', 'Detail'].map((t) => h('th', null, t)),
        ),
      ),
      changes,
    ),
  );
  const button = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', onclick: () => void check() }, 'Check again')
  );
  const when = h('th', null, 'Since');
  const grid = h(
    'table',
    { class: 'grid health virtual' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Service', 'Version', 'Node', 'Address', 'Status'].map((t) => h('th', null, t)),
        when,
        h('th', null, 'Checks'),
      ),
    ),
    body,
  );
  /** @type {Row[]} */
  let rows = [];
  const table = virtualTable({
    table: grid,
    body,
    columns: 7,
    rowHeight: ROW,
    row: (i) => {
      const r = /** @type {Row} */ (rows[i]);
      return {
        key: `${r.service}\u0000${r.version}\u0000${r.node}`,
        sig: `${r.status}|${r.degraded}|${r.when}|${r.detail}`,
        build: () => row(r),
      };
    },
  });
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Health ', summary), button),
    problem,
    source,
    overview,
    table.el,
    recent,
  );

  let turn = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  async function check() {
    const mine = ++turn;
    clearTimeout(timer);
    button.disabled = true;
    if (!summary.textContent) summary.textContent = '…';
    const [status, history] = await Promise.all([monitorStatus(), monitorHistory(CHANGES)]);
    if (mine !== turn) return;
    /** @type {StatusChange[] | undefined} */
    let seen;
    if (status.body) {
      rows = status.body.nodes.map(fromMonitor);
      seen = history.body?.changes;
      when.textContent = 'Since';
      source.textContent = "As the control plane's monitor last probed each node.";
    } else {
      // No monitor (or it refused): every node probed now, from the dashboard.
      const answer = await health();
      if (mine !== turn) return;
      if (!answer.body) {
        button.disabled = false;
        problem.hidden = false;
        problem.textContent = errorLine(answer);
        return;
      }
      rows = answer.body.nodes.map(fromProbe);
      when.textContent = 'Latency';
      source.textContent = `Probed now: no monitor answers (${errorLine(status)}).`;
    }
    button.disabled = false;
    problem.hidden = true;
    rows.sort(
      (a, b) =>
        naturalCompare(a.service, b.service) ||
        naturalCompare(a.version, b.version) ||
        naturalCompare(a.node, b.node),
    );
    summary.textContent = `${rows.filter((r) => r.healthy).length} of ${rows.length} healthy`;
    drawOverview(overview, rows);
    recent.hidden = !seen;
    if (seen) replace(changes, seen.map(changeRow));
    grid.dataset.total = String(rows.length);
    table.update(rows.length);
    if (status.body) timer = setTimeout(() => void check(), EVERY);
  }

  void check();
  return () => {
    turn++;
    clearTimeout(timer);
    table.stop();
  };
}

/**
 * One chip per service: its name and how many of its nodes are healthy, coloured by the worst.
 * @param {HTMLElement} el
 * @param {Row[]} rows
 */
function drawOverview(el, rows) {
  /** @type {Map<string, Row[]>} */
  const by = new Map();
  for (const r of rows) by.set(r.service, [...(by.get(r.service) ?? []), r]);
  replace(
    el,
    [...by].map(([service, nodes]) => {
      const healthy = nodes.filter((n) => n.healthy).length;
      const tone =
        healthy === nodes.length
          ? nodes.some((n) => n.degraded)
            ? 'warn'
            : 'good'
          : healthy === 0
            ? 'bad'
            : 'warn';
      return h(
        'a',
        { href: link('service', service), class: `badge ${tone}`, dataset: { service } },
        `${service} ${healthy}/${nodes.length}`,
      );
    }),
  );
}

/** @param {StatusChange} c */
function changeRow(c) {
  const tone = c.to === 'healthy' ? 'good' : c.to === 'unhealthy' ? 'bad' : 'warn';
  return h(
    'tr',
    { dataset: { node: c.node } },
    h('td', { class: 'mono nowrap', title: new Date(c.time).toISOString() }, clock(c.time)),
    h('td', null, h('a', { href: link('service', c.service), class: 'name' }, c.service)),
    h('td', { class: 'mono', title: c.node }, c.node),
    h('td', { class: 'nowrap' }, `${c.from} → `, h('span', { class: `badge ${tone}` }, c.to)),
    h('td', { class: 'small' }, c.detail ?? ''),
  );
}

/** @param {Row} r */
function row(r) {
  return h(
    'tr',
    { dataset: { node: r.node, status: r.status } },
    h('td', null, h('a', { href: link('service', r.service), class: 'name' }, r.service)),
    h('td', null, h('span', { class: 'tag' }, r.version)),
    h('td', { class: 'mono', title: r.node }, r.node),
    h('td', { class: 'mono nowrap', title: r.address }, r.address),
    h(
      'td',
      { class: 'nowrap' },
      h('span', { class: `badge ${r.tone}` }, r.status),
      r.degraded && r.status !== 'degraded'
        ? h('span', { class: 'badge warn degraded' }, 'degraded')
        : null,
    ),
    h('td', { class: 'num nowrap' }, r.when),
    h('td', { class: 'small', title: r.detail || undefined }, r.detail),
  );
}
