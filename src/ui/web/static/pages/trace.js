// One trace as a waterfall: a row per span in tree order, indented by depth, with a bar placed at
// its offset and scaled to the trace's duration; error spans in red. Clicking a span shows its
// details (status, attributes, events, its log lines); the trace's log lines are listed beneath,
// each linking to the span it was written in.
import { errorLine, read } from '../lib/api.js';
import { clock, h, link, replace } from '../lib/dom.js';
import { spanTime, stamp } from './traces.js';

/** @typedef {{ time: number, name: string, attributes?: Record<string, string | number | boolean> }} SpanEvent */
/** @typedef {{ traceId: string, spanId: string, parentSpanId?: string, name: string, kind: string, service: string, endpoint?: string, start: number, duration: number, status: string, code?: number, message?: string, attributes: Record<string, string | number | boolean>, events?: SpanEvent[] }} Span */
/** @typedef {{ id?: number, time: number, service: string, level: string, msg: string, spanId?: string }} LogLine */
/** @typedef {{ span: Span, depth: number, offset: number }} Row */

/**
 * Spans in tree order (children after their parent, by start) with depth and offset; a span whose
 * parent is missing is a root.
 * @param {Span[]} spans
 * @returns {{ rows: Row[], start: number, duration: number }}
 */
export function layout(spans) {
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(...spans.map((s) => s.start + s.duration));
  const ids = new Set(spans.map((s) => s.spanId));
  /** @type {Map<string, Span[]>} */
  const children = new Map();
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  for (const s of sorted) {
    const p = s.parentSpanId;
    if (p !== undefined && p !== s.spanId && ids.has(p))
      children.set(p, [...(children.get(p) ?? []), s]);
  }
  /** @type {Row[]} */
  const rows = [];
  const placed = new Set();
  const visit = (/** @type {Span} */ s, /** @type {number} */ depth) => {
    if (placed.has(s)) return;
    placed.add(s);
    rows.push({ span: s, depth, offset: s.start - start });
    for (const c of children.get(s.spanId) ?? []) visit(c, depth + 1);
  };
  for (const s of sorted) {
    const p = s.parentSpanId;
    if (p === undefined || p === s.spanId || !ids.has(p)) visit(s, 0);
  }
  for (const s of sorted) visit(s, 0);
  return { rows, start, duration: end - start };
}

/**
 * @param {HTMLElement} root
 * @param {string} [id]
 */
export function render(root, id = '') {
  const title = h('h1', null, 'Trace ', h('span', { class: 'mono count' }, id));
  const summary = h('p', { class: 'muted trace-summary' });
  const problem = h('p', { class: 'problem', hidden: true });
  const fall = h('div', { class: 'waterfall', role: 'list' });
  const details = h('div', { class: 'card span-details', hidden: true });
  const logs = h('div', { class: 'trace-logs' });
  root.append(
    h(
      'div',
      { class: 'crumbs' },
      h('a', { href: link('traces') }, 'Traces'),
      ' / ',
      h('span', { class: 'mono' }, id),
    ),
    h('div', { class: 'head' }, title),
    summary,
    problem,
    fall,
    details,
    h('h2', null, 'Log lines'),
    logs,
  );

  let alive = true;
  /** @type {LogLine[]} */
  let lines = [];
  /** @type {Map<string, HTMLElement>} */
  const rowOf = new Map();
  /** @type {Map<string, Span>} */
  const spanOf = new Map();

  /** @param {string} spanId */
  const choose = (spanId) => {
    const s = spanOf.get(spanId);
    if (!s) return;
    for (const [k, el] of rowOf) el.classList.toggle('chosen', k === spanId);
    details.hidden = false;
    replace(
      details,
      spanDetails(
        s,
        lines.filter((l) => l.spanId === spanId),
      ),
    );
  };

  void (async () => {
    /** @type {[import('../lib/api.js').Answer<{ traceId: string, spans: Span[] }>, import('../lib/api.js').Answer<{ records?: LogLine[], note?: string }>]} */
    const [trace, logAnswer] = await Promise.all([
      read('trace/get', { id }),
      read('trace/logs', { id }),
    ]);
    if (!alive) return;
    if (!trace.body || trace.body.spans.length === 0) {
      problem.hidden = false;
      problem.textContent = errorLine(trace);
      return;
    }
    lines = logAnswer.body?.records ?? [];
    const w = layout(trace.body.spans);
    const errors = w.rows.filter((r) => r.span.status === 'error').length;
    summary.textContent = `${stamp(w.start)} · ${spanTime(w.duration)} · ${w.rows.length} spans · ${errors} errors`;
    const total = w.duration > 0 ? w.duration : 1;
    replace(
      fall,
      h(
        'div',
        { class: 'wf-row wf-head' },
        h('span', null, 'Span'),
        h('span', null, 'Service'),
        h('span', { class: 'num' }, 'Duration'),
        h(
          'span',
          { class: 'wf-scale' },
          h('span', null, '0'),
          h('span', null, spanTime(w.duration)),
        ),
      ),
      w.rows.map((r) => {
        const s = r.span;
        spanOf.set(s.spanId, s);
        const barEl = h('span', { class: 'wf-bar', title: `${s.name}: ${spanTime(s.duration)}` });
        // Positions come from numbers only: nothing of the data goes into the style as text.
        barEl.style.left = `${((r.offset / total) * 100).toFixed(3)}%`;
        barEl.style.width = `max(2px, ${((s.duration / total) * 100).toFixed(3)}%)`;
        const nameEl = h('span', { class: 'wf-name' }, s.status === 'error' ? '! ' : '', s.name);
        nameEl.style.paddingLeft = `${r.depth * 16}px`;
        const el = h(
          'div',
          {
            class: `wf-row${s.status === 'error' ? ' error' : ''}`,
            role: 'listitem',
            tabindex: 0,
            dataset: { span: s.spanId, depth: String(r.depth) },
            onclick: () => choose(s.spanId),
            onkeydown: (/** @type {KeyboardEvent} */ e) => {
              if (e.key === 'Enter' || e.key === ' ') choose(s.spanId);
            },
          },
          nameEl,
          h('span', { class: 'name' }, s.service),
          h('span', { class: 'num' }, spanTime(s.duration)),
          h('span', { class: 'wf-track' }, barEl),
        );
        rowOf.set(s.spanId, el);
        return el;
      }),
    );
    const note = logAnswer.body?.note ?? (logAnswer.body ? undefined : errorLine(logAnswer));
    replace(
      logs,
      note !== undefined
        ? h('p', { class: 'muted' }, note)
        : lines.length === 0
          ? h('p', { class: 'muted' }, 'No log lines were written in this trace.')
          : h(
              'ol',
              { class: 'log-lines' },
              lines.map((l) => logLine(l, choose)),
            ),
    );
  })();
  return () => {
    alive = false;
  };
}

/**
 * @param {LogLine} l
 * @param {(spanId: string) => void} choose
 */
function logLine(l, choose) {
  return h(
    'li',
    { class: `log ${l.level}` },
    h('time', { class: 'mono muted' }, clock(l.time)),
    h(
      'span',
      {
        class: `badge ${l.level === 'error' || l.level === 'fatal' ? 'bad' : l.level === 'warn' ? 'warn' : 'good'}`,
      },
      l.level,
    ),
    h('span', { class: 'name' }, l.service),
    h('span', { class: 'mono' }, l.msg),
    l.spanId
      ? h(
          'a',
          {
            href: '#',
            class: 'small',
            onclick: (/** @type {Event} */ e) => {
              e.preventDefault();
              choose(/** @type {string} */ (l.spanId));
            },
          },
          'span',
        )
      : null,
  );
}

/**
 * @param {Span} s
 * @param {LogLine[]} lines
 */
function spanDetails(s, lines) {
  const attrs = Object.entries(s.attributes ?? {});
  return [
    h('h2', null, s.name),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Service'),
      h('dd', null, s.service),
      h('dt', null, 'Kind'),
      h('dd', null, s.kind),
      h('dt', null, 'Status'),
      h(
        'dd',
        { class: 'span-status' },
        h('span', { class: `badge ${s.status === 'error' ? 'bad' : 'good'}` }, s.status),
        s.code !== undefined ? ` ${s.code}` : '',
        s.message ? ` ${s.message}` : '',
      ),
      h('dt', null, 'Duration'),
      h('dd', null, spanTime(s.duration)),
      h('dt', null, 'Span'),
      h('dd', { class: 'mono' }, s.spanId),
    ),
    h('h3', null, 'Attributes'),
    attrs.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : h(
          'table',
          { class: 'grid attributes' },
          h(
            'tbody',
            null,
            attrs.map(([k, v]) =>
              h('tr', null, h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, String(v))),
            ),
          ),
        ),
    h('h3', null, 'Events'),
    (s.events ?? []).length === 0
      ? h('p', { class: 'muted' }, 'none')
      : h(
          'ul',
          { class: 'span-events' },
          (s.events ?? []).map((e) =>
            h(
              'li',
              null,
              h('time', { class: 'mono muted' }, clock(e.time)),
              ' ',
              h('b', null, e.name),
              ' ',
              h('span', { class: 'mono small' }, JSON.stringify(e.attributes ?? {})),
            ),
          ),
        ),
    h('h3', null, 'Log lines of this span'),
    lines.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : h(
          'ol',
          { class: 'log-lines' },
          lines.map((l) => logLine(l, () => {})),
        ),
  ];
}
