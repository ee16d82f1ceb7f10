// The bot (`micro bot`, issue 22): each running bot node (the registry's `bot` service, asked for its
// Bot.Status) with its inputs (connected or not, since when, to what) and its commands (usage,
// description, whether it changes state, the service providing it), read again every few seconds;
// below them the commands the bots ran (micro.audit events of source bot) live, newest first. With
// no bot running, how to start one. Every name, description and value goes in as text.
import { errorLine, read } from '../lib/api.js';
import { auditTable } from '../lib/audit.js';
import { clock, h, relative } from '../lib/dom.js';

/** @typedef {{ name: string, connected: boolean, since: number, detail?: string }} InputStatus */
/** @typedef {{ name: string, usage: string, description: string, changes: boolean, sensitive?: boolean, service?: string }} BotCommand */
/** @typedef {{ started: number, inputs: InputStatus[], commands: BotCommand[], handled: number, failed?: number }} BotStatus */
/** @typedef {{ node: string, address: string, version: string, status?: BotStatus, error?: { code: number, status: string, detail: string } }} BotNode */
/** @typedef {{ bots: BotNode[], total: number }} Bots */

/** Ms between reads of the bots' status. */
const REFRESH = 3000;
const dash = () => h('span', { class: 'muted' }, '—');

/**
 * @param {string} title
 * @param {string[]} columns
 * @param {string} cls
 * @param {HTMLElement[]} rows
 */
const grid = (title, columns, cls, rows) => [
  h('h3', null, title, ' ', h('span', { class: 'count' }, String(rows.length))),
  h(
    'table',
    { class: `grid ${cls}` },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        columns.map((c) => h('th', null, c)),
      ),
    ),
    h('tbody', null, rows),
  ),
];

/**
 * A time as a clock, with how long ago in its title.
 * @param {number} at
 */
const when = (at) =>
  at > 0
    ? h(
        'span',
        { class: 'mono nowrap', title: `${new Date(at).toLocaleString()} (${relative(at)})` },
        clock(at),
      )
    : dash();

/** @param {InputStatus} i */
const inputRow = (i) =>
  h(
    'tr',
    { dataset: { input: i.name } },
    h('td', { class: 'name' }, i.name),
    h(
      'td',
      null,
      h(
        'span',
        { class: `badge ${i.connected ? 'good' : 'bad'}` },
        i.connected ? 'connected' : 'disconnected',
      ),
    ),
    h('td', null, when(i.since)),
    h('td', { class: 'mono small' }, i.detail ?? dash()),
  );

/** @param {BotCommand} c */
const commandRow = (c) =>
  h(
    'tr',
    { dataset: { command: c.name } },
    h('td', { class: 'name nowrap' }, c.name),
    h('td', { class: 'mono small' }, c.usage),
    h('td', { class: 'description' }, c.description),
    h(
      'td',
      null,
      c.changes
        ? h('span', { class: 'badge warn' }, 'changes')
        : c.sensitive
          ? h('span', { class: 'badge' }, 'reads')
          : dash(),
    ),
    h('td', { class: 'mono small' }, c.service ?? h('span', { class: 'muted' }, 'built-in')),
  );

/** @param {BotNode} b */
function node(b) {
  const s = b.status;
  return h(
    'section',
    { class: 'bot-node', dataset: { node: b.node } },
    h(
      'h2',
      null,
      h('span', { class: 'mono' }, b.node),
      ' ',
      h('span', { class: 'muted small mono' }, `${b.address} · ${b.version}`),
    ),
    b.error
      ? h('p', { class: 'problem' }, `${b.error.code} ${b.error.status}: ${b.error.detail}`)
      : null,
    s
      ? [
          h(
            'p',
            { class: 'bot-meta' },
            'Started ',
            when(s.started),
            ` · ${s.handled} command${s.handled === 1 ? '' : 's'} handled, ${s.failed ?? 0} failed`,
          ),
          ...grid(
            'Inputs',
            ['Name', 'State', 'Since', 'Detail'],
            'bot-inputs',
            s.inputs.map(inputRow),
          ),
          ...grid(
            'Commands',
            ['Name', 'Usage', 'Description', 'Changes', 'Service'],
            'bot-commands',
            s.commands.map(commandRow),
          ),
        ]
      : null,
  );
}

/** @param {HTMLElement} root */
export function render(root) {
  const count = h('span', { class: 'count' });
  const problem = h('p', { class: 'problem', hidden: true });
  const bots = h('div', { class: 'bot-nodes' });
  const audit = auditTable({
    source: 'bot',
    title: 'Recent commands',
    empty:
      'No commands yet: every command someone gives the bot shows here, with who gave it, what it acted on and how it ended.',
    action: 'Command',
    target: true,
    cls: 'bot-audit',
  });
  root.append(
    h('div', { class: 'head' }, h('h1', null, 'Bot ', count)),
    problem,
    bots,
    ...audit.elements,
  );

  let turn = 0;
  let shown = '';
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  async function refresh() {
    const mine = ++turn;
    clearTimeout(timer);
    /** @type {import('../lib/api.js').Answer<Bots>} */
    const answer = await read('bot/status');
    if (mine !== turn) return;
    problem.hidden = answer.ok;
    if (answer.body) {
      const now = JSON.stringify(answer.body);
      if (now !== shown) {
        shown = now;
        show(answer.body);
      }
    } else problem.textContent = errorLine(answer);
    timer = setTimeout(() => void refresh(), REFRESH);
  }

  /** @param {Bots} list */
  function show(list) {
    const n = list.bots.length;
    count.textContent =
      n < list.total ? `${n} of ${list.total}` : `${list.total} bot${list.total === 1 ? '' : 's'}`;
    if (n === 0) {
      bots.replaceChildren(
        h(
          'p',
          { class: 'empty bot-none' },
          'No bot is running. Start one with ',
          h('code', { class: 'mono' }, 'micro bot --inputs stdin'),
          ' (or slack, xmpp: see docs/bot.md); it shows here once it registers as the service bot.',
        ),
      );
      return;
    }
    bots.replaceChildren(...list.bots.map(node));
  }

  void refresh();
  return () => {
    turn++;
    clearTimeout(timer);
    audit.stop();
  };
}
