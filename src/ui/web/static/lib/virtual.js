// A virtualised table: only the rows in view (plus a few either side) are in the DOM, between two
// spacer rows that give the scrollbar the whole list's height. Rows have one fixed height.
import { h } from './dom.js';

/**
 * One row as the table asks for it: a key, a signature of what it shows (a row whose key and
 * signature are unchanged is kept, with its focus), and how to build it.
 * @typedef {{ key: string, sig: string, build: () => HTMLElement }} Row
 */

/** Rows drawn beyond each edge of the view. */
const OVERSCAN = 10;

/**
 * Creates the table inside a scrolling box.
 * @param {{ table: HTMLElement, body: HTMLElement, rowHeight: number, row: (i: number) => Row, columns: number }} o
 */
export function virtualTable(o) {
  const { table, body, row, columns } = o;
  let rowHeight = o.rowHeight;
  let count = 0;
  let measured = false;
  const top = h('tr', { class: 'spacer', 'aria-hidden': 'true' }, h('td', { colspan: columns }));
  const bottom = h('tr', { class: 'spacer', 'aria-hidden': 'true' }, h('td', { colspan: columns }));
  // Focusable, so the keyboard scrolls it too (arrows, Page Up/Down, Home, End).
  const scroller = h('div', { class: 'scroller', tabindex: 0 }, table);
  /** @type {Map<string, { sig: string, el: HTMLElement }>} */
  let drawn = new Map();
  let pending = 0;

  function draw() {
    pending = 0;
    const view = scroller.clientHeight || window.innerHeight;
    const visible = Math.ceil(view / rowHeight);
    // After the list shrank the box may still be scrolled past its end: draw its last rows.
    const start = Math.min(
      Math.floor(scroller.scrollTop / rowHeight),
      Math.max(0, count - visible),
    );
    const first = Math.max(0, start - OVERSCAN);
    const last = Math.min(count, start + visible + 1 + OVERSCAN);
    /** @type {Map<string, { sig: string, el: HTMLElement }>} */
    const next = new Map();
    /** @type {HTMLElement[]} */
    const rows = [];
    for (let i = first; i < last; i++) {
      const r = row(i);
      const kept = drawn.get(r.key);
      const el = kept && kept.sig === r.sig ? kept.el : r.build();
      el.classList.add('row');
      next.set(r.key, { sig: r.sig, el });
      rows.push(el);
    }
    drawn = next;
    setHeight(top, first * rowHeight);
    setHeight(bottom, (count - last) * rowHeight);
    // Moves only what changed: kept rows stay in place, so a focused link keeps its focus.
    const wanted = [top, ...rows, bottom];
    let at = /** @type {ChildNode | null} */ (body.firstChild);
    for (const el of wanted) {
      if (at === el) at = el.nextSibling;
      else body.insertBefore(el, at);
    }
    while (at) {
      const gone = at;
      at = at.nextSibling;
      gone.remove();
    }
    const sample = rows[0];
    if (!measured && sample) {
      measured = true;
      const height = sample.getBoundingClientRect().height;
      if (height > 0 && Math.abs(height - rowHeight) > 0.5) {
        rowHeight = height;
        draw();
      }
    }
  }

  /**
   * @param {HTMLElement} spacer
   * @param {number} px
   */
  const setHeight = (spacer, px) => {
    spacer.hidden = px === 0;
    /** @type {HTMLElement} */ (spacer.firstChild).style.height = `${px}px`;
  };

  scroller.addEventListener(
    'scroll',
    () => {
      if (!pending) pending = requestAnimationFrame(draw);
    },
    { passive: true },
  );

  return {
    /** The scrolling box to put on the page. */
    el: scroller,
    /**
     * Sets how many rows there are and draws the rows in view now.
     * @param {number} n
     */
    update(n) {
      count = n;
      cancelAnimationFrame(pending);
      draw();
    },
    /** Scrolls back to the first row. */
    toTop() {
      scroller.scrollTop = 0;
    },
    /** Stops drawing. */
    stop() {
      cancelAnimationFrame(pending);
    },
  };
}
