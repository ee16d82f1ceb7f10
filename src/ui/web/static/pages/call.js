// The call form: an endpoint, a JSON editor pre-filled from its request schema, and the answer
// with its status and time. Errors are shown as errors.
import { callEndpoint } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { example } from '../lib/schema.js';

/** @typedef {import('../lib/live.js').Endpoint} Endpoint */

/**
 * @param {string} text
 * @returns {unknown}
 */
const parseJson = (text) => JSON.parse(text);

/** True for endpoints a single request can call: not streams, not topic subscribers. */
export const callable = (/** @type {Endpoint} */ e) =>
  !e.metadata?.stream && e.metadata?.subscriber !== 'true';

/**
 * Creates the form for one service.
 * @param {string} service
 */
export function callForm(service) {
  /** @type {Endpoint[]} */
  let endpoints = [];
  const endpoint = /** @type {HTMLSelectElement} */ (
    h('select', { id: 'call-endpoint', name: 'endpoint', onchange: () => prefill() })
  );
  const version = /** @type {HTMLSelectElement} */ (
    h('select', { id: 'call-version', name: 'version' })
  );
  const editor = /** @type {HTMLTextAreaElement} */ (
    h('textarea', {
      id: 'call-request',
      name: 'request',
      class: 'editor',
      rows: 8,
      spellcheck: false,
      'aria-label': 'Request JSON',
      oninput: () => check(),
      onkeydown: (/** @type {KeyboardEvent} */ e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          void call();
        } else if (e.key === 'Tab' && !e.shiftKey) {
          e.preventDefault();
          editor.setRangeText('  ', editor.selectionStart, editor.selectionEnd, 'end');
          check();
        }
      },
    })
  );
  const problem = h('p', { class: 'problem', hidden: true });
  const button = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'submit', class: 'primary' }, 'Call')
  );
  const result = h('div', { class: 'result', hidden: true, 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'card call',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        void call();
      },
    },
    h('h2', null, 'Call'),
    h('div', { class: 'row' }, h('label', { for: 'call-endpoint' }, 'Endpoint'), endpoint),
    h('div', { class: 'row' }, h('label', { for: 'call-version' }, 'Version'), version),
    h('label', { for: 'call-request' }, 'Request'),
    editor,
    problem,
    h(
      'div',
      { class: 'actions' },
      button,
      h('button', { type: 'button', onclick: () => format() }, 'Format'),
      h('button', { type: 'button', onclick: () => prefill() }, 'Reset'),
      h('span', { class: 'hint' }, 'Ctrl+Enter calls'),
    ),
    result,
  );

  /** The request as parsed JSON, or undefined with the problem shown. */
  function check() {
    try {
      /** @type {unknown} */
      const value = editor.value.trim() === '' ? {} : parseJson(editor.value);
      problem.hidden = true;
      editor.classList.remove('invalid');
      return { value };
    } catch (err) {
      problem.hidden = false;
      problem.textContent = `The request is not valid JSON: ${/** @type {Error} */ (err).message}`;
      editor.classList.add('invalid');
      return undefined;
    }
  }

  function format() {
    const parsed = check();
    if (parsed) editor.value = JSON.stringify(parsed.value, null, 2);
  }

  /** Fills the editor with a sample of the chosen endpoint's request. */
  function prefill() {
    const e = endpoints.find((x) => x.name === endpoint.value);
    editor.value = JSON.stringify(example(e?.request), null, 2);
    check();
  }

  async function call() {
    const parsed = check();
    if (!parsed || !endpoint.value) return;
    button.disabled = true;
    const started = performance.now();
    const answer = await callEndpoint({
      service,
      endpoint: endpoint.value,
      version: version.value || undefined,
      request: parsed.value,
    });
    button.disabled = false;
    const ms = answer.body?.ms ?? answer.ms ?? Math.round(performance.now() - started);
    result.hidden = false;
    result.className = `result ${answer.ok ? 'ok' : 'error'}`;
    if (answer.body) {
      const { node, response } = answer.body;
      replace(
        result,
        h(
          'div',
          { class: 'status' },
          h('span', { class: 'code' }, `${answer.status} OK`),
          h('span', null, `${ms} ms`),
          h('span', { class: 'muted' }, `${node.id} at ${node.address}`),
        ),
        h('pre', { class: 'json response' }, JSON.stringify(response, null, 2)),
      );
    } else {
      const e = answer.error ?? { code: answer.status, status: 'Error', detail: 'the call failed' };
      replace(
        result,
        h(
          'div',
          { class: 'status' },
          h('span', { class: 'code' }, `${e.code} ${e.status}`),
          h('span', null, `${ms} ms`),
        ),
        h('p', { class: 'detail' }, e.detail),
        h('pre', { class: 'json' }, JSON.stringify(e, null, 2)),
      );
    }
  }

  return {
    el: form,
    /**
     * Sets the endpoints and versions to choose from, keeping the current choice if it remains.
     * @param {Endpoint[]} list
     * @param {string[]} versions
     */
    update(list, versions) {
      const before = endpoint.value;
      endpoints = list.filter(callable);
      replace(
        endpoint,
        endpoints.map((e) => h('option', { value: e.name }, e.name)),
      );
      const chosen = version.value;
      replace(
        version,
        h('option', { value: '' }, 'any version'),
        versions.map((v) => h('option', { value: v }, v)),
      );
      version.value = versions.includes(chosen) ? chosen : '';
      if (endpoints.some((e) => e.name === before)) endpoint.value = before;
      else if (endpoints.length > 0) prefill();
      button.disabled = endpoints.length === 0;
    },
    /**
     * Chooses an endpoint, fills in its sample request and puts the cursor in the editor.
     * @param {string} name
     */
    choose(name) {
      endpoint.value = name;
      prefill();
      editor.focus();
      form.scrollIntoView({ block: 'nearest' });
    },
  };
}
