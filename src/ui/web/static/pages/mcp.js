// MCP (`micro mcp`, issue 21): the services' endpoints as the tools AI agents see (name, stream kind,
// description, scope; a tool's input and output schemas on click), how an agent connects (the
// gateway's /mcp over HTTP, `micro mcp serve` over stdio), and the tool calls of the audit log
// (micro.audit events of source mcp) live, newest first. The list is read again every few seconds;
// #/mcp/<tool> opens a tool's schemas. Every name, description and value goes in as text.
import { errorLine, read } from '../lib/api.js';
import { auditTable } from '../lib/audit.js';
import { h, link, pretty } from '../lib/dom.js';

/** @typedef {{ name: string, service: string, endpoint: string, description: string, stream?: string, scope: string, structured: boolean }} ToolRow */
/** @typedef {{ tools: ToolRow[], total: number, url?: string, stdio: { command: string, args: string[] } }} ToolList */
/** @typedef {ToolRow & { title: string, inputSchema: object, outputSchema?: object }} Tool */

/** Ms between reads of the tool list. */
const REFRESH = 5000;
const dash = () => h('span', { class: 'muted' }, '—');

/**
 * @param {HTMLElement} root
 * @param {string} [opened] a tool whose schemas show
 */
export function render(root, opened) {
  const count = h('span', { class: 'count' });
  const search = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'search',
      class: 'search',
      placeholder: 'Tool, description or scope',
      'aria-label': 'Filter tools',
      oninput: () => {
        clearTimeout(typing);
        typing = setTimeout(() => void refresh(), 250);
      },
    })
  );
  const connect = h('section', { class: 'mcp-connect' });
  const problem = h('p', { class: 'problem', hidden: true });
  const tools = h('div', { class: 'mcp-tools' });
  const audit = auditTable({
    source: 'mcp',
    title: 'Recent tool calls',
    empty:
      'No tool calls yet: every call an agent makes through micro mcp shows here, with who made it and how it ended.',
    action: 'Tool',
    cls: 'mcp-audit',
  });
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'MCP tools ', count), search),
    connect,
    problem,
    tools,
    ...audit.elements,
  );

  let turn = 0;
  let shown = '';
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let typing;
  /** @type {string | undefined} */
  let open = opened;

  async function refresh() {
    const mine = ++turn;
    clearTimeout(timer);
    /** @type {import('../lib/api.js').Answer<ToolList>} */
    const answer = await read('mcp/tools', { text: search.value.slice(0, 200) || undefined });
    if (mine !== turn) return;
    problem.hidden = answer.ok;
    if (answer.body) {
      // Drawn again only when it changed: an open tool stays open.
      const now = JSON.stringify(answer.body);
      if (now !== shown) {
        shown = now;
        show(answer.body);
      }
    } else problem.textContent = errorLine(answer);
    timer = setTimeout(() => void refresh(), REFRESH);
  }

  /** @param {ToolList} list */
  function show(list) {
    const n = list.tools.length;
    count.textContent =
      n < list.total ? `${n} of ${list.total}` : `${list.total} tool${list.total === 1 ? '' : 's'}`;
    connect.replaceChildren(
      h('h2', null, 'Connect an agent'),
      h(
        'p',
        null,
        'Over HTTP (Streamable HTTP): ',
        list.url
          ? h('code', { class: 'mono mcp-url' }, list.url)
          : h('span', { class: 'muted' }, "the API gateway's /mcp (micro api, micro run)"),
      ),
      h(
        'p',
        null,
        "Over stdio, as a server in the agent's MCP configuration (",
        h('span', { class: 'mono' }, 'micro mcp serve'),
        '):',
      ),
      h('pre', { class: 'json mcp-stdio' }, JSON.stringify(list.stdio)),
    );
    if (list.tools.length === 0) {
      tools.replaceChildren(
        h(
          'p',
          { class: 'empty' },
          search.value
            ? 'No tool matches this filter.'
            : "No tools: agents see every endpoint of the registry's services, except the platform's own, Debug endpoints and what MICRO_MCP_DENY or the endpoint's mcp: false metadata hides.",
        ),
      );
      return;
    }
    const body = h('tbody');
    for (const t of list.tools) {
      body.append(row(t));
      if (t.name === open) body.append(detail(t.name));
    }
    tools.replaceChildren(
      h(
        'table',
        { class: 'grid mcp-tool-list' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Name', 'Stream', 'Description', 'Scope'].map((t) => h('th', null, t)),
          ),
        ),
        body,
      ),
    );
  }

  /** @param {ToolRow} t */
  function row(t) {
    const tr = h(
      'tr',
      { class: t.name === open ? 'tool open' : 'tool', dataset: { tool: t.name } },
      h(
        'td',
        { class: 'name' },
        h(
          'a',
          { href: link('mcp', t.name), title: 'input and output schemas', onclick: toggle },
          t.name,
        ),
      ),
      h('td', null, t.stream ? h('span', { class: 'tag' }, t.stream) : dash()),
      h('td', { class: 'description' }, t.description),
      h('td', { class: 'mono small' }, t.scope),
    );
    /** @param {Event} e */
    function toggle(e) {
      // The hash follows without drawing the page again (the audit stream stays open).
      e.preventDefault();
      const next = tr.nextElementSibling;
      if (next?.classList.contains('mcp-detail')) next.remove();
      tools.querySelector('tr.mcp-detail')?.remove();
      tools.querySelector('tr.tool.open')?.classList.remove('open');
      const closing = open === t.name;
      open = closing ? undefined : t.name;
      history.replaceState(null, '', closing ? '#/mcp' : link('mcp', t.name));
      if (closing) return;
      tr.classList.add('open');
      tr.after(detail(t.name));
    }
    return tr;
  }

  void refresh();
  return () => {
    turn++;
    clearTimeout(timer);
    clearTimeout(typing);
    audit.stop();
  };
}

/**
 * The schemas of a tool, read when opened.
 * @param {string} name
 */
function detail(name) {
  const cell = h('td', { colspan: '4' }, h('p', { class: 'muted small' }, 'loading…'));
  void read('mcp/tool', { name }).then((/** @type {import('../lib/api.js').Answer<Tool>} */ a) => {
    if (!a.body) return cell.replaceChildren(h('p', { class: 'problem' }, errorLine(a)));
    const t = a.body;
    cell.replaceChildren(
      h('p', { class: 'mcp-title' }, t.title, ': ', t.description),
      h(
        'div',
        { class: 'schemas' },
        schema('Input schema', t.inputSchema, 'mcp-input'),
        schema('Output schema', t.outputSchema, 'mcp-output'),
      ),
    );
  });
  return h('tr', { class: 'mcp-detail', dataset: { tool: name } }, cell);
}

/**
 * @param {string} title
 * @param {object | undefined} value
 * @param {string} cls
 */
function schema(title, value, cls) {
  return h(
    'div',
    { class: `schema ${cls}` },
    h('div', { class: 'label' }, title),
    value
      ? h('pre', { class: 'json' }, pretty(value))
      : h('p', { class: 'muted small' }, 'none: the answer comes as JSON text'),
  );
}
