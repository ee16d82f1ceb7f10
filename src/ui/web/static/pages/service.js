// One service: its versions, nodes (with metadata and health), endpoints with their schemas,
// and the call form. Fetched when the page opens, and again when the registry stream says the
// service changed (at most one fetch per SETTLE, however fast it changes).
import { errorLine, health as nodeHealth, service } from '../lib/api.js';
import { chips, h, replace, webAppLink } from '../lib/dom.js';
import { isWebApp, naturalCompare, onChange } from '../lib/live.js';
import { callForm, callable } from './call.js';

/** Milliseconds to gather changes to the service (a start registers twice) into one fetch. */
const SETTLE = 150;

/** @typedef {import('../lib/api.js').NodeHealth} NodeHealth */

/**
 * @param {HTMLElement} root
 * @param {string} name
 */
export function render(root, name = '') {
  const notice = h('p', { class: 'notice', hidden: true });
  const web = h('span');
  const nodes = h('section');
  const endpoints = h('section');
  const form = callForm(name);
  /** @type {Map<string, NodeHealth>} */
  const health = new Map();
  let nodeIds = '';
  let endpointSignature = '';
  /** @type {import('../lib/live.js').Service[]} the versions as last fetched */
  let list = [];

  const checkButton = h(
    'button',
    { type: 'button', onclick: () => void checkHealth() },
    'Check health',
  );
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Services'), ' / '),
    h('div', { class: 'head' }, h('h1', { class: 'service-name' }, name), web, checkButton),
    notice,
    h(
      'div',
      { class: 'split' },
      h('div', { class: 'main-col' }, nodes, endpoints),
      h('div', { class: 'side-col' }, form.el),
    ),
  );

  async function checkHealth() {
    const answer = await nodeHealth(name);
    health.clear();
    for (const row of answer.body?.nodes ?? []) health.set(row.node, row);
    if (!left) fillNodes(list);
  }

  /** @param {import('../lib/live.js').Service[]} list */
  function fillNodes(list) {
    replace(
      nodes,
      list.map((s) =>
        h(
          'div',
          { class: 'card version', dataset: { version: s.version } },
          h(
            'h2',
            null,
            'Version ',
            h('span', { class: 'tag' }, s.version),
            h(
              'span',
              { class: 'muted small' },
              ` ${s.nodes.length} node${s.nodes.length === 1 ? '' : 's'}`,
            ),
          ),
          h('p', null, h('span', { class: 'label' }, 'Metadata '), chips(s.metadata)),
          h(
            'table',
            { class: 'grid nodes' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Node', 'Address', 'Metadata', 'Health'].map((t) => h('th', null, t)),
              ),
            ),
            h(
              'tbody',
              null,
              s.nodes.map((n) =>
                h(
                  'tr',
                  { dataset: { node: n.id } },
                  h('td', { class: 'mono' }, n.id),
                  h('td', { class: 'mono nowrap' }, n.address),
                  h('td', null, chips(n.metadata)),
                  h('td', null, healthCell(health.get(n.id))),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  /** @param {import('../lib/live.js').Service[]} list */
  function fillEndpoints(list) {
    /** @type {Map<string, import('../lib/live.js').Endpoint>} */
    const byName = new Map();
    for (const s of list) for (const e of s.endpoints) byName.set(e.name, e);
    const all = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    const signature = JSON.stringify(all) + list.map((s) => s.version).join();
    if (signature === endpointSignature) return;
    endpointSignature = signature;
    form.update(
      all,
      list.map((s) => s.version),
    );
    replace(
      endpoints,
      h('h2', null, `Endpoints (${all.length})`),
      all.length === 0 ? h('p', { class: 'muted' }, 'This service lists no endpoints.') : null,
      all.map((e) =>
        h(
          'div',
          { class: 'card endpoint', dataset: { endpoint: e.name } },
          h(
            'div',
            { class: 'endpoint-head' },
            h('h3', { class: 'mono' }, e.name),
            Object.keys(e.metadata ?? {}).length > 0 ? chips(e.metadata) : null,
            callable(e)
              ? h(
                  'button',
                  { type: 'button', class: 'small', onclick: () => form.choose(e.name) },
                  'Call',
                )
              : h(
                  'span',
                  { class: 'muted small' },
                  e.metadata?.subscriber === 'true'
                    ? 'topic subscriber'
                    : `${e.metadata?.stream} stream: micro stream`,
                ),
          ),
          h(
            'div',
            { class: 'schemas' },
            schema('Request', e.request),
            schema('Response', e.response),
          ),
        ),
      ),
    );
  }

  let left = false;
  let loading = false;
  let again = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  /** Fetches the service soon, unless a fetch is already due (then once more after it). */
  function refresh() {
    if (timer !== undefined || loading) {
      again = true;
      return;
    }
    timer = setTimeout(() => void load(), SETTLE);
  }

  async function load() {
    timer = undefined;
    loading = true;
    again = false;
    const answer = await service(name);
    loading = false;
    if (left) return;
    if (answer.body) fill(answer.body.versions);
    else if (answer.status === 404) fill([]);
    else {
      notice.hidden = false;
      notice.textContent = errorLine(answer);
    }
    if (again) refresh();
  }

  /** @param {import('../lib/live.js').Service[]} versions */
  function fill(versions) {
    list = versions.sort((a, b) => naturalCompare(a.version, b.version));
    notice.hidden = list.length > 0;
    notice.textContent = `${name} is not registered now. This page updates when it comes back.`;
    replace(web, isWebApp(list) ? webAppLink(name) : null);
    fillNodes(list);
    fillEndpoints(list);
    const ids = list.flatMap((s) => s.nodes.map((n) => n.id)).join();
    if (ids !== nodeIds) {
      nodeIds = ids;
      if (ids) void checkHealth();
    }
  }

  notice.hidden = false;
  notice.textContent = 'Loading…';
  void load();
  const stop = onChange((change) => {
    if (change.reset || change.names.has(name)) refresh();
  });
  return () => {
    left = true;
    clearTimeout(timer);
    stop();
  };
}

/**
 * A schema as indented JSON.
 * @param {string} title
 * @param {object | undefined} value
 */
function schema(title, value) {
  return h(
    'div',
    { class: 'schema' },
    h('div', { class: 'label' }, title),
    value && Object.keys(value).length > 0
      ? h('pre', { class: 'json' }, JSON.stringify(value, null, 2))
      : h('p', { class: 'muted small' }, 'any JSON (no schema)'),
  );
}

/** @param {NodeHealth | undefined} row */
function healthCell(row) {
  if (!row) return h('span', { class: 'muted' }, '…');
  if (row.error)
    return h(
      'span',
      { class: 'badge bad', title: `${row.error.code} ${row.error.status}: ${row.error.detail}` },
      `failed ${row.ms} ms`,
    );
  return h(
    'span',
    { class: `badge ${row.status === 'ok' ? 'good' : 'warn'}` },
    `${row.status} ${row.ms} ms`,
  );
}
