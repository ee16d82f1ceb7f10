// Builds DOM nodes. Text always goes in as text nodes, never as HTML: names and values from the
// registry are shown exactly as they are, whatever characters they hold.

/** Properties set on the element itself rather than as attributes. */
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'spellcheck', 'hidden']);

/**
 * Creates an element: h('a', { href: '#/', class: 'x', onclick: fn }, 'text', child).
 * @param {string} tag
 * @param {Record<string, unknown> | null} [props]
 * @param {...unknown} children strings, numbers, nodes, arrays of them; null and false are skipped
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function')
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'class') el.className = text(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (PROPERTIES.has(key)) /** @type {any} */ (el)[key] = value;
    else el.setAttribute(key, value === true ? '' : text(value));
  }
  append(el, children);
  return el;
}

/**
 * Appends children to an element, as text for anything that is not a node.
 * @param {Element} el
 * @param {unknown[]} children
 */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(text(child)));
  }
}

/**
 * A value as text: strings as they are, other values as JSON.
 * @param {unknown} value
 */
export function text(value) {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/**
 * Replaces an element's children.
 * @param {Element} el
 * @param {...unknown} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * The hash link of a page: link('service', name) is `#/service/<name, encoded>`.
 * @param {...string} parts
 */
export function link(...parts) {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

/**
 * The link that opens a web app the dashboard proxies at /name/, in a new tab.
 * @param {string} name
 */
export function webAppLink(name) {
  return h(
    'a',
    { href: `/${encodeURIComponent(name)}/`, class: 'web', target: '_blank', rel: 'noopener' },
    'open web app',
  );
}

/**
 * Metadata as small key=value chips.
 * @param {Record<string, string> | undefined} metadata
 */
export function chips(metadata) {
  const entries = Object.entries(metadata ?? {});
  if (entries.length === 0) return h('span', { class: 'muted' }, '—');
  return h(
    'span',
    { class: 'chips' },
    entries.map(([k, v]) => h('span', { class: 'chip' }, h('b', null, k), '=', v)),
  );
}

/**
 * A time of day with milliseconds, e.g. 14:03:07.125.
 * @param {number} at milliseconds since the epoch
 */
export function clock(at) {
  const d = new Date(at);
  const pad = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * How far a time is from now, in the largest unit that fits: `in 12 s`, `3 min ago`.
 * @param {number} at milliseconds since the epoch
 * @param {number} [now]
 */
export function relative(at, now = Date.now()) {
  const ms = at - now;
  const abs = Math.abs(ms);
  const span =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 86_400_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} d`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/**
 * A JSON value as the pages show it: indented by two spaces; undefined as an em dash.
 * @param {unknown} value
 */
export function pretty(value) {
  return value === undefined ? '—' : JSON.stringify(value, null, 2);
}
