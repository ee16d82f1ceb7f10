// Logs: the control plane's kept log lines, filtered by service, level, text and trace id, oldest
// at the top and newest at the bottom; with live tail on, new lines are appended as they are stored
// (one stream, from the last line read, closed when the page leaves or a filter changes) and the
// view stays at the bottom unless the reader scrolled up. At most KEEP lines are kept in the page.
// A line's trace id links to its trace (#/trace/<id>). #/logs/<service>[/<trace id>] opens it
// filtered (service `all` for every service).
import { clock, h, link, replace } from '../lib/dom.js';
import { errorLine, parse, read } from '../lib/api.js';

/**
 * @typedef {{ id?: number, time: number, service: string, node?: string, level: string, msg: string,
 *   traceId?: string, spanId?: string, fields?: Record<string, unknown> }} LogRecord
 */
/** @typedef {{ service: string, lines: number, last: number }} LogSource */

/** Lines kept in the page. */
export const KEEP = 2000;
/** Lines read when the page opens or a filter changes. */
const FIRST = 500;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** A record's other fields as ` key=value`. */
const fieldsText = (/** @type {LogRecord} */ r) =>
  Object.entries(r.fields ?? {})
    .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('');

/** @param {LogRecord} r */
function row(r) {
  return h(
    'li',
    {
      class: `log level-${r.level}`,
      dataset: { id: String(r.id ?? ''), level: r.level, service: r.service },
    },
    h('time', { class: 'mono muted nowrap', title: new Date(r.time).toISOString() }, clock(r.time)),
    h('span', { class: `lvl lvl-${r.level}` }, r.level.toUpperCase()),
    h(
      'span',
      { class: 'who mono', title: r.node ?? '' },
      r.service,
      r.node ? h('span', { class: 'muted' }, `[${r.node}]`) : null,
    ),
    h(
      'span',
      { class: 'msg' },
      h('span', { class: 'text' }, r.msg),
      h('span', { class: 'muted' }, fieldsText(r)),
    ),
    r.traceId
      ? h(
          'a',
          { class: 'trace mono', href: link('trace', r.traceId), title: `trace ${r.traceId}` },
          r.traceId.slice(0, 8),
        )
      : null,
  );
}

/**
 * @param {string} label
 * @param {string} every
 * @param {string[]} options
 * @param {() => void} onchange
 */
const chooser = (label, every, options, onchange) =>
  /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { 'aria-label': label, onchange },
      h('option', { value: '' }, every),
      options.map((o) => h('option', { value: o }, o)),
    )
  );

/**
 * @param {string} label
 * @param {string} placeholder
 * @param {() => void} oninput
 */
const field = (label, placeholder, oninput) =>
  /** @type {HTMLInputElement} */ (
    h('input', { type: 'search', class: 'search', placeholder, 'aria-label': label, oninput })
  );

/**
 * @param {HTMLElement} root
 * @param {string} [service] the service shown first (`all` for every service)
 * @param {string} [trace] the trace id shown first
 */
export function render(root, service, trace) {
  /** @type {EventSource | undefined} */
  let stream;
  let typing = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);
  let turn = 0;
  let lastId = 0;
  let left = false;

  const count = h('span', { class: 'count' }, '0');
  const services = chooser('Service', 'Every service', [], () => void load());
  const levels = chooser('Level', 'Any level', LEVELS, () => void load());
  const later = () => {
    clearTimeout(typing);
    typing = setTimeout(() => void load(), 300);
  };
  const text = field('Text', 'Text in the line', later);
  const traceId = field('Trace id', 'Trace id', later);
  traceId.classList.add('mono');
  const tail = /** @type {HTMLInputElement} */ (
    h('input', { type: 'checkbox', checked: true, onchange: () => void load() })
  );
  const problem = h('p', { class: 'problem', hidden: true });
  const empty = h('p', { class: 'empty', hidden: true });
  const list = h('ol', { class: 'logs' });
  const view = h('div', { class: 'logs-view' }, list);
  root.append(
    h(
      'div',
      { class: 'head' },
      h('h1', null, 'Logs ', count),
      services,
      levels,
      text,
      traceId,
      h('label', { class: 'tail' }, tail, ' Live tail'),
    ),
    problem,
    empty,
    view,
  );
  if (service && service !== 'all') services.append(h('option', { value: service }, service));
  services.value = service && service !== 'all' ? service : '';
  traceId.value = trace ?? '';

  /** The filters as the API's query. */
  const query = () => ({
    service: services.value || undefined,
    level: levels.value || undefined,
    grep: text.value.slice(0, 256) || undefined,
    trace: traceId.value.trim() || undefined,
  });

  const sayEmpty = () => {
    const n = list.childElementCount;
    count.textContent = String(n);
    empty.hidden = n > 0;
    empty.textContent =
      services.value || levels.value || text.value || traceId.value
        ? 'No line matches these filters yet.'
        : 'No log lines yet. Services micro run supervises, and services with MICRO_LOG_COLLECT=on, send theirs here.';
  };

  /** @param {LogRecord[]} records */
  const append = (records) => {
    const atBottom = view.scrollTop + view.clientHeight >= view.scrollHeight - 24;
    list.append(...records.map(row));
    while (list.childElementCount > KEEP) list.firstElementChild?.remove();
    for (const r of records) lastId = Math.max(lastId, r.id ?? 0);
    sayEmpty();
    if (atBottom) view.scrollTop = view.scrollHeight;
  };

  const loadSources = async () => {
    const a = /** @type {import('../lib/api.js').Answer<{ sources: LogSource[] }>} */ (
      await read('logs/sources')
    );
    if (!a.ok) return;
    const known = new Set([...services.options].map((o) => o.value));
    for (const s of a.body?.sources ?? [])
      if (!known.has(s.service)) services.append(h('option', { value: s.service }, s.service));
  };

  /** Reads the last lines matching, then (live tail) follows from the last one. */
  async function load() {
    clearTimeout(typing);
    stream?.close();
    stream = undefined;
    const mine = ++turn;
    const q = query();
    const a = /** @type {import('../lib/api.js').Answer<{ records: LogRecord[] }>} */ (
      await read('logs/read', { ...q, limit: FIRST })
    );
    if (mine !== turn) return;
    problem.hidden = a.ok;
    if (!a.ok) problem.textContent = errorLine(a);
    replace(list);
    lastId = 0;
    append(a.body?.records ?? []);
    view.scrollTop = view.scrollHeight;
    if (a.ok && tail.checked) follow(q);
  }

  /** @param {Record<string, string | undefined>} q */
  function follow(q) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, v);
    // After the last line read; with none read, none matched yet: every new one is after 0.
    params.set('after', String(lastId));
    const source = new EventSource(`/_/api/logs/stream?${params}`);
    stream = source;
    source.addEventListener('records', (m) => {
      const { records } = /** @type {{ records: LogRecord[] }} */ (
        parse(/** @type {MessageEvent<string>} */ (m).data)
      );
      append(records.filter((r) => (r.id ?? 0) > lastId || r.id === undefined));
    });
    source.addEventListener('error', () => {
      // Reconnecting by itself would start again from the first `after`: read again instead.
      if (stream !== source) return;
      source.close();
      stream = undefined;
      problem.hidden = false;
      problem.textContent = 'The live tail stopped; reading again…';
      setTimeout(() => {
        if (!left && stream === undefined && tail.checked) void load();
      }, 2000);
    });
  }

  void loadSources();
  void load();
  return () => {
    left = true;
    turn++;
    stream?.close();
    stream = undefined;
    clearTimeout(typing);
  };
}
