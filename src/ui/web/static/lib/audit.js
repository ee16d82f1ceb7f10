// The audited actions of one source (`micro.audit` events: `mcp` tool calls, `bot` commands) as a
// live table, newest first: a heading with a count, a line while there are none, why the stream
// failed when it did. What the MCP and Bot pages share; every field goes in as text.
import { clock, h } from './dom.js';
import { followEvents } from './follow.js';

/** @typedef {import('./follow.js').PlatformLine} PlatformLine */

/** Audit events kept and shown, and read back when the page opens. */
const KEEP = 200;
const RESULT = /** @type {Record<string, string>} */ ({
  ok: 'good',
  error: 'bad',
  refused: 'warn',
});
const dash = () => h('span', { class: 'muted' }, '—');

/**
 * Follows the audit events of one source; returns the elements to show and what stops following.
 * @param {{ source: string, title: string, empty: string, action: string, target?: boolean, cls: string }} o
 *   title heads the table (`Recent tool calls`), empty is said while there are none, action names
 *   the action's column (`Tool`), target adds the Target column, cls names the table and heading
 *   (`mcp-audit`: table.mcp-audit, .mcp-audit-head)
 * @returns {{ elements: HTMLElement[], stop: () => void }}
 */
export function auditTable(o) {
  const count = h('span', { class: 'count' }, '0');
  const problem = h('p', { class: 'problem', hidden: true });
  const empty = h('p', { class: 'empty' }, o.empty);
  const body = h('tbody');
  const columns = ['Time', 'Actor', o.action, ...(o.target ? ['Target'] : []), 'Result', 'Code'];
  const table = h(
    'table',
    { class: `grid ${o.cls}`, hidden: true },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        [...columns, 'ms'].map((t) => h('th', null, t)),
      ),
    ),
    body,
  );

  /** @param {PlatformLine} l */
  function row(l) {
    const a = /** @type {NonNullable<PlatformLine['audit']>} */ (l.audit);
    return h(
      'tr',
      { dataset: { result: a.result, offset: String(l.offset) }, title: l.summary },
      h(
        'td',
        { class: 'mono muted nowrap', title: new Date(l.time).toLocaleString() },
        clock(l.time),
      ),
      h('td', { class: 'actor' }, a.actor || dash()),
      h('td', { class: 'name' }, a.action),
      o.target ? h('td', { class: 'mono small target' }, a.target || dash()) : null,
      h(
        'td',
        null,
        h(
          'span',
          { class: `badge ${RESULT[a.result] ?? 'warn'}`, title: a.detail },
          a.result || '?',
        ),
      ),
      h('td', { class: 'num' }, a.code ? String(a.code) : dash()),
      h('td', { class: 'num' }, a.ms >= 0 ? String(a.ms) : dash()),
    );
  }

  /** @param {PlatformLine[]} lines */
  const add = (lines) => {
    // A stream opened again (the dashboard restarted) reads its backlog again: shown ones are skipped.
    const rows = lines
      .filter(
        (l) => l.audit?.source === o.source && !body.querySelector(`tr[data-offset="${l.offset}"]`),
      )
      .map(row);
    if (rows.length === 0) return;
    // Deliveries come oldest first: each new one goes on top.
    for (const r of rows) body.prepend(r);
    while (body.children.length > KEEP) body.lastElementChild?.remove();
    count.textContent = String(body.children.length);
    table.hidden = false;
    empty.hidden = true;
  };
  const stop = followEvents(new URLSearchParams({ topic: 'micro.audit', backlog: String(KEEP) }), {
    onEvents: add,
    onProblem: (line) => {
      problem.hidden = line === undefined;
      problem.textContent = line ?? '';
    },
  });
  return {
    elements: [h('h2', { class: `${o.cls}-head` }, `${o.title} `, count), problem, empty, table],
    stop,
  };
}
