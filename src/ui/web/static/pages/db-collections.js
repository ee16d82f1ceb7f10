// The database page's collections: the overview table (database, collection, records, indexes,
// each collection a link that opens it) and the chooser's options.
import { h, link, replace } from '../lib/dom.js';

/** @typedef {{ database: string, collection: string, count: number, indexes: { name: string, fields: string[], unique: boolean }[] }} CollectionInfo */
/** @typedef {{ database: string, collection: string }} Place */

/**
 * A collection's place as one string, for the chooser's values.
 * @param {Place} c
 */
export const placeKey = (c) => `${c.database}\u0000${c.collection}`;

/**
 * A collection's indexes as text: `status (status); by_total (total, unique)`.
 * @param {CollectionInfo} c
 */
export const indexList = (c) =>
  c.indexes
    .map((i) => `${i.name} (${i.fields.join(', ')}${i.unique ? ', unique' : ''})`)
    .join('; ');

/** The overview table of every collection. */
export function collectionsTable() {
  const body = h('tbody');
  const el = h(
    'table',
    { class: 'grid collections' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Database', 'Collection', 'Records', 'Indexes'].map((c) => h('th', null, c)),
      ),
    ),
    body,
  );
  return {
    el,
    /** @param {CollectionInfo[]} all */
    show(all) {
      replace(
        body,
        all.length === 0
          ? h(
              'tr',
              null,
              h(
                'td',
                { colspan: 4, class: 'empty' },
                'No collection yet: micro db create COLLECTION DATA makes one, or write a record here.',
              ),
            )
          : all.map((c) =>
              h(
                'tr',
                { dataset: { database: c.database, collection: c.collection } },
                h('td', { class: 'name' }, c.database),
                h(
                  'td',
                  { class: 'name' },
                  h('a', { href: link('db', c.database, c.collection) }, c.collection),
                ),
                h('td', { class: 'num records' }, String(c.count)),
                h('td', { class: 'small' }, indexList(c) || '—'),
              ),
            ),
      );
    },
  };
}

/**
 * Fills the chooser with every collection (and the open one, even when it holds no record yet).
 * @param {HTMLSelectElement} chooser
 * @param {CollectionInfo[]} all
 * @param {Place | undefined} at
 */
export function fillChooser(chooser, all, at) {
  replace(
    chooser,
    h('option', { value: '' }, all.length ? 'Every collection' : 'No collection yet'),
    all.map((c) =>
      h('option', { value: placeKey(c) }, `${c.database} / ${c.collection} (${c.count})`),
    ),
  );
  if (at && !all.some((c) => placeKey(c) === placeKey(at)))
    chooser.append(h('option', { value: placeKey(at) }, `${at.database} / ${at.collection} (0)`));
  chooser.value = at ? placeKey(at) : '';
}
