// The database page's parts: a record's card (its JSON, version and times, with Edit and a
// Delete after a Confirm, both tied to the version shown) and the form that creates a record or
// updates one (merge or replace), after a Confirm.
import { change, errorLine } from '../lib/api.js';
import { confirmButton } from '../lib/confirm.js';
import { h, pretty, relative } from '../lib/dom.js';

/** @typedef {import('./db.js').DbRecord} DbRecord */
/** @typedef {{ database: string, collection: string }} Place */

/**
 * The card's content for a record: as read, that it is gone, or why the read failed.
 * @param {string} id
 * @param {import('../lib/api.js').Answer<{ record?: DbRecord }>} a
 * @param {{ at: () => Place | undefined, onEdit: (r: DbRecord) => void, onDeleted: () => void }} on
 */
export function recordView(id, a, on) {
  const r = a.body?.record;
  const problem = h('p', { class: 'problem', hidden: true });
  return [
    h('h2', { class: 'mono' }, id),
    !a.ok && a.status !== 404
      ? h('p', { class: 'problem' }, errorLine(a))
      : !r
        ? h('p', { class: 'empty' }, 'No such record (deleted).')
        : [
            h(
              'dl',
              { class: 'facts' },
              h('dt', null, 'Version'),
              h('dd', { class: 'mono version' }, String(r.version)),
              h('dt', null, 'Created'),
              h(
                'dd',
                { class: 'small', title: new Date(r.createdAt).toLocaleString() },
                relative(r.createdAt),
              ),
              h('dt', null, 'Updated'),
              h(
                'dd',
                { class: 'small', title: new Date(r.updatedAt).toLocaleString() },
                relative(r.updatedAt),
              ),
            ),
            h('pre', { class: 'json value' }, pretty(r.data)),
            problem,
            h(
              'div',
              { class: 'actions' },
              h('button', { type: 'button', onclick: () => on.onEdit(r) }, 'Edit'),
              confirmButton({
                label: 'Delete',
                name: 'delete',
                danger: true,
                question: () => `Delete ${id}?`,
                action: async () => {
                  const at = on.at();
                  if (!at) return;
                  const d = await change('db/delete', { ...at, id, ifVersion: r.version });
                  if (!d.ok)
                    return void ((problem.hidden = false), (problem.textContent = errorLine(d)));
                  on.onDeleted();
                },
              }),
            ),
          ],
  ];
}

/**
 * The form: where (the open collection, or a new one), an id (empty: a new one is made), the
 * record's JSON and how an update applies it.
 * @param {() => Place | undefined} open
 * @param {(at: Place, id: string) => void} onWritten
 */
export function recordForm(open, onWritten) {
  const database = /** @type {HTMLInputElement} */ (
    h('input', { id: 'record-database', class: 'field', spellcheck: false, value: 'micro' })
  );
  const collection = /** @type {HTMLInputElement} */ (
    h('input', { id: 'record-collection', class: 'field', spellcheck: false })
  );
  /** @returns {Place | undefined} */
  const place = () =>
    database.value && collection.value
      ? { database: database.value, collection: collection.value }
      : undefined;
  /** The record being edited: an update applies only if it is still at this version. */
  let editing = /** @type {{ id: string, version: number } | undefined} */ (undefined);
  const id = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'record-id',
      class: 'field',
      spellcheck: false,
      placeholder: 'new: a UUID is made',
      oninput: () => hint(),
    })
  );
  const data = /** @type {HTMLTextAreaElement} */ (
    h('textarea', {
      id: 'record-data',
      class: 'editor',
      rows: 8,
      spellcheck: false,
      'aria-label': 'Record JSON',
    })
  );
  const mode = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'record-mode', 'aria-label': 'Update mode' },
      h('option', { value: 'merge' }, 'merge (null removes a field)'),
      h('option', { value: 'replace' }, 'replace the whole record'),
    )
  );
  const note = h('p', { class: 'hint' });
  const problem = h('p', { class: 'problem', hidden: true });
  const say = (/** @type {string} */ t) => {
    problem.hidden = false;
    problem.textContent = t;
  };
  const hint = () => {
    note.textContent =
      editing && editing.id === id.value
        ? `Update applies only if the record is still at version ${editing.version}.`
        : '';
  };
  /** @returns {Record<string, unknown> | undefined} */
  const parsed = () => {
    try {
      const v = /** @type {unknown} */ (JSON.parse(data.value));
      if (v !== null && typeof v === 'object' && !Array.isArray(v))
        return /** @type {Record<string, unknown>} */ (v);
      say('A record is a JSON object, like {"name": "ann"}.');
    } catch (err) {
      say(`The record is not valid JSON: ${/** @type {Error} */ (err).message}`);
    }
    return undefined;
  };
  /** @param {'create' | 'update'} what */
  const write = async (what) => {
    problem.hidden = true;
    const at = place();
    if (!at) return say('A database and a collection are required.');
    const v = parsed();
    if (!v) return;
    if (what === 'update' && !id.value) return say('An update needs the id of the record.');
    const a = /** @type {import('../lib/api.js').Answer<DbRecord>} */ (
      what === 'create'
        ? await change('db/create', { ...at, data: v, ...(id.value ? { id: id.value } : {}) })
        : await change('db/update', {
            ...at,
            id: id.value,
            data: v,
            mode: mode.value,
            ...(editing && editing.id === id.value ? { ifVersion: editing.version } : {}),
          })
    );
    if (!a.ok || !a.body) return say(errorLine(a));
    editing = { id: a.body.id, version: a.body.version };
    id.value = a.body.id;
    hint();
    onWritten(at, a.body.id);
  };
  const where = () => {
    const at = place();
    return at ? `${at.database} / ${at.collection}` : 'no collection';
  };
  const el = h(
    'form',
    { class: 'card put record-form', onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
    h('h2', null, 'Write a record'),
    h('label', { for: 'record-database' }, 'Database'),
    database,
    h('label', { for: 'record-collection' }, 'Collection'),
    collection,
    h('label', { for: 'record-id' }, 'Id'),
    id,
    h('label', { for: 'record-data' }, 'Record (JSON object)'),
    data,
    h('label', { for: 'record-mode' }, 'Update'),
    mode,
    note,
    problem,
    h(
      'div',
      { class: 'actions' },
      confirmButton({
        label: 'Create',
        name: 'create',
        question: () => `Create ${id.value || 'a record'} in ${where()}?`,
        action: () => write('create'),
      }),
      confirmButton({
        label: 'Update',
        name: 'update',
        question: () => `Update ${id.value} in ${where()}?`,
        action: () => write('update'),
      }),
    ),
  );
  return {
    el,
    /** Shows the open collection as where records are written. */
    follow() {
      const at = open();
      if (!at) return;
      database.value = at.database;
      collection.value = at.collection;
    },
    /** @param {DbRecord} r fills the form with a record to change it */
    edit(r) {
      this.follow();
      editing = { id: r.id, version: r.version };
      id.value = r.id;
      data.value = pretty(r.data);
      hint();
      data.focus();
    },
  };
}
