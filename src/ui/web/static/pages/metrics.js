// Each service's endpoints with their request rate, errors, p50/p99 latency and requests in
// flight, from the control plane's metrics service, with a sparkline of the rate (errors in red)
// over the window; refreshed every few seconds while the page is shown. `#/metrics/<service>`
// shows one service. Above them, the circuits of the callers' breakers that are not closed (all of
// them on demand). Every name and figure goes in as text or as an SVG attribute, never as HTML.
import { errorLine, read } from '../lib/api.js';
import { h, link, relative } from '../lib/dom.js';
import { naturalCompare } from '../lib/live.js';

/** @typedef {{ time: number, rate: number, errorRate: number, p50: number, p99: number }} MetricsPoint */
/** @typedef {{ service: string, endpoint: string, kind: string, rate: number, errorRate: number, p50: number, p99: number, calls: number, errors: number, inflight: number, points: MetricsPoint[] }} EndpointSeries */
/** @typedef {{ service: string, node: string, address: string, state: 'closed' | 'open' | 'half-open', failures: number, openedAt?: number, retryAt?: number, opened: number }} CircuitInfo */
/** @typedef {{ service: string, node: string, time: number, circuits: CircuitInfo[] }} NodeCircuits */
/** @typedef {{ time: number, window: number, step: number, endpoints: EndpointSeries[], circuits?: NodeCircuits[] }} MetricsReport */

/** Ms between refreshes. */
const REFRESH = 3000;
/** The windows offered, ms. */
const WINDOWS = [
  ['1 min', 60_000],
  ['5 min', 300_000],
  ['15 min', 900_000],
];
const SVG = 'http://www.w3.org/2000/svg';
const SPARK = { width: 140, height: 28 };

/**
 * @param {HTMLElement} root
 * @param {string} [only] one service
 */
export function render(root, only) {
  const summary = h('span', { class: 'count' });
  const problem = h('p', { class: 'problem', hidden: true });
  const body = h('div', { class: 'metrics' });
  const circuits = h('div', { class: 'circuits', hidden: true });
  const allCircuits = /** @type {HTMLInputElement} */ (
    h('input', { type: 'checkbox', id: 'circuits-all', onchange: () => void refresh() })
  );
  const windowSelect = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'metrics-window', 'aria-label': 'Window', onchange: () => void refresh() },
      WINDOWS.map(([label, ms]) =>
        h('option', { value: String(ms), selected: ms === 300_000 }, label),
      ),
    )
  );
  root.append(
    h(
      'div',
      { class: 'head' },
      h('h1', null, only ? `Metrics of ${only} ` : 'Metrics ', summary),
      h('label', { class: 'small' }, 'Window ', windowSelect),
    ),
    problem,
    circuits,
    body,
  );

  let turn = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  async function refresh() {
    clearTimeout(timer);
    const mine = ++turn;
    /** @type {import('../lib/api.js').Answer<MetricsReport>} */
    const answer = await read('metrics', { service: only, window: Number(windowSelect.value) });
    if (mine !== turn) return;
    if (answer.body) {
      problem.hidden = true;
      showCircuits(answer.body.circuits ?? []);
      show(answer.body);
    } else {
      problem.hidden = false;
      problem.textContent = errorLine(answer);
    }
    timer = setTimeout(() => void refresh(), REFRESH);
  }

  /** @param {MetricsReport} report */
  function show(report) {
    /** @type {Map<string, EndpointSeries[]>} */
    const byService = new Map();
    for (const e of report.endpoints) {
      const list = byService.get(e.service) ?? [];
      list.push(e);
      byService.set(e.service, list);
    }
    const names = [...byService.keys()].sort(naturalCompare);
    summary.textContent = `${report.endpoints.length} endpoint${report.endpoints.length === 1 ? '' : 's'} of ${names.length} service${names.length === 1 ? '' : 's'}`;
    if (names.length === 0) {
      body.replaceChildren(
        h(
          'p',
          { class: 'empty' },
          `No figures yet: the metrics service reads each node every ${Math.round(report.step / 1000)} s.`,
        ),
      );
      return;
    }
    body.replaceChildren(...names.map((n) => serviceTable(n, byService.get(n) ?? [])));
  }

  /** @param {NodeCircuits[]} nodes */
  function showCircuits(nodes) {
    const rows = nodes.flatMap((n) => n.circuits.map((c) => ({ caller: n, c })));
    const shown = rows
      .filter((r) => allCircuits.checked || r.c.state !== 'closed')
      .sort(
        (a, b) =>
          ORDER[a.c.state] - ORDER[b.c.state] || naturalCompare(a.caller.node, b.caller.node),
      );
    circuits.hidden = rows.length === 0;
    const closed = rows.length - rows.filter((r) => r.c.state !== 'closed').length;
    circuits.replaceChildren(
      h(
        'div',
        { class: 'head' },
        h(
          'h2',
          null,
          'Circuits ',
          h('span', { class: 'count' }, `${shown.length} of ${rows.length}`),
        ),
        h('label', { class: 'small' }, allCircuits, ` show closed (${closed})`),
      ),
      shown.length === 0
        ? h(
            'p',
            { class: 'empty' },
            'Every circuit is closed: each caller reaches every node it called.',
          )
        : circuitTable(shown),
    );
  }

  void refresh();
  return () => {
    turn++;
    clearTimeout(timer);
  };
}

/** Open circuits first. */
const ORDER = { open: 0, 'half-open': 1, closed: 2 };
const BADGE = { open: 'bad', 'half-open': 'warn', closed: 'good' };

/**
 * The circuits as a table: caller, target, node, state, failures in a row, since when.
 * @param {{ caller: NodeCircuits, c: CircuitInfo }[]} rows
 */
function circuitTable(rows) {
  return h(
    'table',
    { class: 'grid circuits-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Caller', 'Target', 'Node', 'State', 'Failures', 'Opened', 'Next probe'].map((t) =>
          h('th', null, t),
        ),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map(({ caller, c }) =>
        h(
          'tr',
          { dataset: { caller: caller.node, target: c.service, node: c.node, state: c.state } },
          h('td', { class: 'mono', title: caller.service }, caller.node),
          h('td', null, h('a', { href: link('metrics', c.service), class: 'name' }, c.service)),
          h('td', { class: 'mono', title: c.address }, c.node),
          h('td', null, h('span', { class: `badge ${BADGE[c.state]}` }, c.state)),
          h('td', { class: 'num' }, String(c.failures)),
          h(
            'td',
            { title: `opened ${c.opened} time${c.opened === 1 ? '' : 's'}` },
            c.openedAt !== undefined ? relative(c.openedAt) : '—',
          ),
          h('td', null, c.state === 'open' && c.retryAt !== undefined ? relative(c.retryAt) : '—'),
        ),
      ),
    ),
  );
}

/**
 * One service's endpoints as a table.
 * @param {string} service
 * @param {EndpointSeries[]} endpoints
 */
function serviceTable(service, endpoints) {
  return h(
    'section',
    { class: 'metrics-service', dataset: { service } },
    h('h2', null, h('a', { href: link('service', service), class: 'name' }, service)),
    h(
      'table',
      { class: 'grid metrics-table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Endpoint', 'Kind', 'Req/s', 'Err/s', 'p50', 'p99', 'In flight', 'Rate'].map((t) =>
            h('th', null, t),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        endpoints.map((e) =>
          h(
            'tr',
            { dataset: { endpoint: e.endpoint } },
            h('td', { class: 'name' }, e.endpoint),
            h('td', null, h('span', { class: 'tag' }, e.kind)),
            h('td', { class: 'num' }, perSecond(e.rate)),
            h(
              'td',
              {
                class: `num${e.errorRate > 0 ? ' bad-text' : ''}`,
                title: `${e.errors} errors of ${e.calls}`,
              },
              perSecond(e.errorRate),
            ),
            h('td', { class: 'num' }, latency(e.p50, e.calls)),
            h('td', { class: 'num' }, latency(e.p99, e.calls)),
            h('td', { class: 'num' }, String(e.inflight)),
            h('td', { class: 'spark-cell' }, sparkline(e.points)),
          ),
        ),
      ),
    ),
  );
}

/**
 * An inline SVG of the rate (and the error rate, in red) over the points, scaled to the highest.
 * @param {MetricsPoint[]} points
 */
function sparkline(points) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', String(SPARK.width));
  svg.setAttribute('height', String(SPARK.height));
  svg.setAttribute('viewBox', `0 0 ${SPARK.width} ${SPARK.height}`);
  svg.setAttribute('role', 'img');
  const max = Math.max(0, ...points.map((p) => p.rate));
  const title = document.createElementNS(SVG, 'title');
  const last = points.at(-1);
  title.textContent = `${points.length} points, up to ${perSecond(max)} req/s${last ? `; last ${perSecond(last.rate)} req/s, p99 ${latency(last.p99, last.rate)}` : ''}`;
  svg.append(title);
  if (points.length < 2) return svg;
  /** @param {(p: MetricsPoint) => number} value */
  const line = (value) =>
    points
      .map((p, i) => {
        const x = (i / (points.length - 1)) * SPARK.width;
        const y = SPARK.height - 1 - (max > 0 ? (value(p) / max) * (SPARK.height - 2) : 0);
        return `${x.toFixed(1)},${y.toFixed(1)}`;
      })
      .join(' ');
  const rate = document.createElementNS(SVG, 'polyline');
  rate.setAttribute('class', 'spark-rate');
  rate.setAttribute(
    'points',
    line((p) => p.rate),
  );
  svg.append(rate);
  if (points.some((p) => p.errorRate > 0)) {
    const errors = document.createElementNS(SVG, 'polyline');
    errors.setAttribute('class', 'spark-errors');
    errors.setAttribute(
      'points',
      line((p) => p.errorRate),
    );
    svg.append(errors);
  }
  return svg;
}

/** @param {number} n */
function perSecond(n) {
  if (n === 0) return '0';
  if (n < 10) return String(Math.round(n * 100) / 100);
  if (n < 100) return n.toFixed(1);
  return String(Math.round(n));
}

/**
 * @param {number} ms
 * @param {number} calls
 */
function latency(ms, calls) {
  if (calls === 0) return '—';
  if (ms >= 1000) return `${Math.round(ms / 10) / 100} s`;
  if (ms < 10) return `${Math.round(ms * 100) / 100} ms`;
  return `${Math.round(ms * 10) / 10} ms`;
}
