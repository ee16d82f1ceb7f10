// The Traces page: recent traces, newest first, filtered by service, endpoint, status and minimum
// duration (kept in the URL's hash, so a filtered list can be linked); each opens its waterfall.
import { errorLine, read } from '../lib/api.js';
import { h, link, replace } from '../lib/dom.js';

/** @typedef {{ traceId: string, service: string, name: string, endpoint?: string, start: number, duration: number, spans: number, errors: number, services: string[] }} TraceSummary */

/**
 * A duration as traces show it: 0.42 ms, 12.3 ms, 1.25 s.
 * @param {number} ms
 */
export function spanTime(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * A time with the date: 2026-12-07 15:50:01.123 (local).
 * @param {number} at
 */
export function stamp(at) {
  const d = new Date(at);
  const pad = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Milliseconds from `250`, `250ms`, `2s`, `1m`; undefined when blank; NaN when not a duration. */
const durationOf = (/** @type {string} */ text) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (text.trim() === '') return undefined;
  if (!m) return Number.NaN;
  return Math.round(Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? 'ms'] ?? 1));
};

/**
 * @param {HTMLElement} root
 * @param {string} [filter] the filters as a query string (service=x&status=error)
 */
export function render(root, filter = '') {
  const given = new URLSearchParams(filter);
  const field = (/** @type {string} */ name, /** @type {string} */ placeholder) =>
    /** @type {HTMLInputElement} */ (
      h('input', {
        class: 'field',
        name,
        id: `traces-${name}`,
        placeholder,
        value: given.get(name) ?? '',
        spellcheck: false,
      })
    );
  const service = field('service', 'service');
  const endpoint = field('endpoint', 'endpoint (Say.Hello)');
  const min = field('min', 'min duration (10ms)');
  const status = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { name: 'status', id: 'traces-status' },
      h('option', { value: '' }, 'any status'),
      h('option', { value: 'ok' }, 'ok'),
      h('option', { value: 'error' }, 'error'),
    )
  );
  status.value = given.get('status') ?? '';
  const count = h('span', { class: 'count' });
  const problem = h('p', { class: 'problem', hidden: true });
  const body = h('tbody');
  const form = h(
    'form',
    {
      class: 'trace-filter',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        const q = new URLSearchParams();
        for (const el of [service, endpoint, status, min]) if (el.value) q.set(el.name, el.value);
        const hash = `#/traces/${encodeURIComponent(q.toString())}`;
        if (location.hash === hash || (hash === '#/traces/' && location.hash === '#/traces'))
          void load();
        else location.hash = hash;
      },
    },
    service,
    endpoint,
    status,
    min,
    h('button', { type: 'submit', class: 'primary' }, 'Refresh'),
  );
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Traces ', count)),
    form,
    problem,
    h(
      'table',
      { class: 'grid traces' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Trace', 'Start', 'Duration', 'Spans', 'Errors', 'Root'].map((t) => h('th', null, t)),
        ),
      ),
      body,
    ),
  );

  let turn = 0;
  async function load() {
    const mine = ++turn;
    const least = durationOf(min.value);
    if (Number.isNaN(least)) {
      problem.hidden = false;
      problem.textContent = `min duration must be like 250ms, 2s or 1m, not ${min.value}`;
      return;
    }
    count.textContent = '…';
    /** @type {import('../lib/api.js').Answer<{ traces: TraceSummary[] }>} */
    const answer = await read('trace/list', {
      service: service.value || undefined,
      endpoint: endpoint.value || undefined,
      status: status.value || undefined,
      min: least,
      limit: 100,
    });
    if (mine !== turn) return;
    if (!answer.body) {
      count.textContent = '';
      problem.hidden = false;
      problem.textContent = errorLine(answer);
      return;
    }
    problem.hidden = true;
    const traces = answer.body.traces;
    count.textContent = String(traces.length);
    replace(
      body,
      traces.length === 0
        ? h(
            'tr',
            null,
            h(
              'td',
              { colspan: 6, class: 'empty' },
              'No trace matches. Calls to services appear here a few seconds after they are made.',
            ),
          )
        : traces.map(row),
    );
  }

  void load();
  return () => {
    turn++;
  };
}

/** @param {TraceSummary} t */
function row(t) {
  return h(
    'tr',
    { dataset: { trace: t.traceId }, class: t.errors > 0 ? 'failed' : undefined },
    h('td', { class: 'mono' }, h('a', { href: link('trace', t.traceId) }, t.traceId.slice(0, 16))),
    h('td', { class: 'mono nowrap' }, stamp(t.start)),
    h('td', { class: 'num' }, spanTime(t.duration)),
    h('td', { class: 'num' }, String(t.spans)),
    h(
      'td',
      { class: 'num' },
      t.errors > 0 ? h('span', { class: 'badge bad' }, String(t.errors)) : '0',
    ),
    h(
      'td',
      null,
      h('span', { class: 'name' }, t.service),
      ' ',
      h('span', { class: 'mono' }, t.endpoint ?? t.name),
    ),
  );
}
