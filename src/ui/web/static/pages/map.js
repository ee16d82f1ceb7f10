// The Service map: which services called which over the last 15 minutes (from the traces), drawn
// as boxes in layers from callers to callees with an arrow per edge, labelled with calls/s and
// errors/s; edges with errors in red. Built with DOM calls only (text as text nodes).
import { errorLine, read } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { spanTime } from './traces.js';

/** @typedef {{ from: string, to: string, calls: number, errors: number, rate: number, errorRate: number, p50: number, p99: number }} Edge */
/** @typedef {{ since: number, until: number, services: string[], edges: Edge[] }} ServiceMap */

const NS = 'http://www.w3.org/2000/svg';
const BOX = { w: 160, h: 40, dx: 260, dy: 80, pad: 30 };

/**
 * An SVG element with attributes (numbers and fixed names only) and text children.
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...(Node | string)} children
 */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/**
 * The layer of each service: 0 for those nobody calls, else one past its furthest caller (a
 * cycle stops at the number of services).
 * @param {string[]} names
 * @param {Edge[]} edges
 */
export function layers(names, edges) {
  /** @type {Map<string, number>} */
  const layer = new Map(names.map((n) => [n, 0]));
  for (let i = 0; i < names.length; i++) {
    let moved = false;
    for (const e of edges) {
      if (e.from === e.to) continue;
      const next = Math.min(names.length - 1, (layer.get(e.from) ?? 0) + 1);
      if (next > (layer.get(e.to) ?? 0)) {
        layer.set(e.to, next);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return layer;
}

/** Calls a second as a label. */
const rate = (/** @type {number} */ n) =>
  n === 0 ? '0' : n >= 10 ? n.toFixed(1) : n >= 0.01 ? n.toFixed(2) : n.toPrecision(2);

/** @param {ServiceMap} map */
function draw(map) {
  const names = [...new Set([...map.services, ...map.edges.flatMap((e) => [e.from, e.to])])].sort();
  const layer = layers(names, map.edges);
  /** @type {Map<string, { x: number, y: number }>} */
  const at = new Map();
  /** @type {number[]} */
  const filled = [];
  for (const n of names) {
    const l = layer.get(n) ?? 0;
    const row = filled[l] ?? 0;
    filled[l] = row + 1;
    at.set(n, { x: BOX.pad + l * BOX.dx, y: BOX.pad + row * BOX.dy });
  }
  const width = BOX.pad * 2 + Math.max(0, filled.length - 1) * BOX.dx + BOX.w;
  const height = BOX.pad * 2 + Math.max(1, ...filled) * BOX.dy;
  const svg = s('svg', {
    class: 'service-map',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
  });
  svg.append(
    s(
      'defs',
      {},
      ...['ok', 'bad'].map((k) =>
        s(
          'marker',
          {
            id: `arrow-${k}`,
            viewBox: '0 0 10 10',
            refX: 10,
            refY: 5,
            markerWidth: 8,
            markerHeight: 8,
            orient: 'auto-start-reverse',
          },
          s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrow-head ${k}` }),
        ),
      ),
    ),
  );
  for (const e of map.edges) {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) continue;
    const bad = e.errors > 0;
    const x1 = a.x + BOX.w;
    const y1 = a.y + BOX.h / 2;
    const forward = b.x > a.x;
    const x2 = forward ? b.x : b.x + BOX.w / 2;
    const y2 = forward ? b.y + BOX.h / 2 : b.y + (b.y >= a.y ? 0 : BOX.h);
    // Forward edges run straight; edges back to an earlier layer (or within one) bend above.
    const d = forward
      ? `M ${x1} ${y1} L ${x2} ${y2}`
      : `M ${x1} ${y1} C ${x1 + 60} ${y1 - 50}, ${x2 + 60} ${y2 - 50}, ${x2} ${y2}`;
    const mx = forward ? (x1 + x2) / 2 : Math.max(x1, x2) + 30;
    const my = forward ? (y1 + y2) / 2 - 6 : Math.min(y1, y2) - 30;
    svg.append(
      s(
        'g',
        { class: `edge${bad ? ' bad' : ''}`, 'data-from': e.from, 'data-to': e.to },
        s(
          'title',
          {},
          `${e.from} → ${e.to}: ${e.calls} calls, ${e.errors} errors, p50 ${spanTime(e.p50)}, p99 ${spanTime(e.p99)}`,
        ),
        s('path', { d, 'marker-end': `url(#arrow-${bad ? 'bad' : 'ok'})` }),
        s(
          'text',
          { x: mx, y: my, 'text-anchor': 'middle', class: 'edge-label' },
          `${rate(e.rate)}/s · ${rate(e.errorRate)} err/s`,
        ),
      ),
    );
  }
  for (const n of names) {
    const p = /** @type {{ x: number, y: number }} */ (at.get(n));
    svg.append(
      s(
        'g',
        { class: 'node', 'data-service': n },
        s('rect', { x: p.x, y: p.y, width: BOX.w, height: BOX.h, rx: 6 }),
        s(
          'text',
          { x: p.x + BOX.w / 2, y: p.y + BOX.h / 2 + 5, 'text-anchor': 'middle' },
          n.length > 22 ? `${n.slice(0, 21)}…` : n,
        ),
      ),
    );
  }
  return svg;
}

/** @param {Edge} e */
function edgeRow(e) {
  return h(
    'tr',
    { class: e.errors > 0 ? 'failed' : undefined, dataset: { from: e.from, to: e.to } },
    h('td', null, h('span', { class: 'name' }, e.from), ' → ', h('span', { class: 'name' }, e.to)),
    h('td', { class: 'num' }, String(e.calls)),
    h('td', { class: 'num' }, rate(e.rate)),
    h('td', { class: 'num' }, rate(e.errorRate)),
    h('td', { class: 'num' }, spanTime(e.p50)),
    h('td', { class: 'num' }, spanTime(e.p99)),
  );
}

/** @param {HTMLElement} root */
export function render(root) {
  const count = h('span', { class: 'count' });
  const problem = h('p', { class: 'problem', hidden: true });
  const picture = h('div', { class: 'card map-card' });
  const body = h('tbody');
  root.append(
    h(
      'div',
      { class: 'head' },
      h('h1', null, 'Service map ', count),
      h('button', { type: 'button', onclick: () => void load() }, 'Refresh'),
    ),
    h(
      'p',
      { class: 'muted' },
      'Which services called which in the last 15 minutes, from their traces.',
    ),
    problem,
    picture,
    h(
      'table',
      { class: 'grid edges' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Edge', 'Calls', 'Calls/s', 'Errors/s', 'p50', 'p99'].map((t) => h('th', null, t)),
        ),
      ),
      body,
    ),
  );
  let turn = 0;
  async function load() {
    const mine = ++turn;
    /** @type {import('../lib/api.js').Answer<ServiceMap>} */
    const answer = await read('trace/map');
    if (mine !== turn) return;
    if (!answer.body) {
      problem.hidden = false;
      problem.textContent = errorLine(answer);
      return;
    }
    problem.hidden = true;
    const map = answer.body;
    count.textContent = `${map.services.length} services`;
    replace(
      picture,
      map.edges.length === 0
        ? h('p', { class: 'empty' }, 'No calls between services in the last 15 minutes.')
        : draw(map),
    );
    replace(
      body,
      [...map.edges].sort((a, b) => a.from.localeCompare(b.from) || b.calls - a.calls).map(edgeRow),
    );
  }
  void load();
  return () => {
    turn++;
  };
}
