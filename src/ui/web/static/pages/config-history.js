// The config page's parts: a version's row in the history (with its rollback after a Confirm),
// and the table of what changed between two versions.
import { confirmButton } from '../lib/confirm.js';
import { h, pretty, relative } from '../lib/dom.js';

/** @typedef {import('../lib/api.js').ConfigVersion} ConfigVersion */

/**
 * The changes between two versions: path, before and after (— where there was or is none).
 * @param {import('../lib/api.js').ConfigDiff[]} changes
 */
export function diffTable(changes) {
  if (changes.length === 0) return h('p', { class: 'empty' }, 'No differences.');
  return h(
    'table',
    { class: 'grid changes' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Path', 'Before', 'After'].map((x) => h('th', null, x)),
      ),
    ),
    h(
      'tbody',
      null,
      changes.map((c) =>
        h(
          'tr',
          { dataset: { path: c.path } },
          h('td', { class: 'name' }, c.path || '(root)'),
          h('td', { class: 'mono before' }, 'before' in c ? pretty(c.before) : '—'),
          h('td', { class: 'mono after' }, 'after' in c ? pretty(c.after) : '—'),
        ),
      ),
    ),
  );
}

/**
 * One version's row; every version but the newest can be rolled back to.
 * @param {ConfigVersion} v
 * @param {boolean} newest
 * @param {(version: number) => Promise<void>} rollback
 */
export function historyRow(v, newest, rollback) {
  const action = v.action === 'rollback' ? `rollback to v${v.from}` : v.action;
  return h(
    'tr',
    { dataset: { version: v.version } },
    h('td', { class: 'num name' }, `v${v.version}`),
    h(
      'td',
      null,
      h(
        'span',
        { class: `badge ${v.action === 'set' ? 'good' : v.action === 'delete' ? 'bad' : 'warn'}` },
        action,
      ),
    ),
    h('td', { class: 'mono', title: v.path }, v.path || '(root)'),
    h('td', { title: v.author }, v.author),
    h('td', { class: 'small', title: new Date(v.at).toLocaleString() }, relative(v.at)),
    h(
      'td',
      null,
      newest
        ? h('span', { class: 'muted small' }, 'current')
        : confirmButton({
            label: 'Roll back',
            name: 'rollback',
            small: true,
            question: () => `Back to v${v.version}?`,
            action: () => rollback(v.version),
          }),
    ),
  );
}
