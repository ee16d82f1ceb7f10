// The browser terminal: the CLI's read and call commands (list, get, call, health), run by the
// dashboard's server. Nothing else runs.
import { errorLine, terminal as runLine } from '../lib/api.js';
import { h } from '../lib/dom.js';

/** What was printed so far and the commands typed, kept while the page is away. */
const screen = h(
  'div',
  { class: 'screen', 'aria-live': 'polite' },
  h(
    'div',
    { class: 'muted' },
    'Type help for the commands, e.g. list services or call greeter Say.Hello \'{"name":"Ann"}\'',
  ),
);
/** @type {string[]} */
const history = [];

/** @param {HTMLElement} root */
export function render(root) {
  let back = history.length;
  const input = /** @type {HTMLInputElement} */ (
    h('input', {
      class: 'command',
      'aria-label': 'Command',
      autocomplete: 'off',
      spellcheck: false,
      onkeydown: (/** @type {KeyboardEvent} */ e) => {
        if (e.key === 'Enter') void run();
        else if (e.key === 'ArrowUp' && back > 0) input.value = history[--back] ?? '';
        else if (e.key === 'ArrowDown' && back < history.length)
          input.value = history[++back] ?? '';
        else return;
        e.preventDefault();
      },
    })
  );
  const terminal = h(
    'div',
    { class: 'terminal', onclick: () => input.focus() },
    screen,
    h('div', { class: 'prompt' }, h('span', null, 'micro>'), input),
  );
  root.append(h('div', { class: 'head' }, h('h1', null, 'Terminal')), terminal);
  input.focus();

  async function run() {
    const line = input.value.trim();
    input.value = '';
    if (line === '') return;
    if (history.at(-1) !== line) history.push(line);
    back = history.length;
    if (line === 'clear') {
      screen.replaceChildren();
      return;
    }
    screen.append(h('div', { class: 'echo' }, `micro> ${line}`));
    input.disabled = true;
    const answer = await runLine(line);
    input.disabled = false;
    input.focus();
    const output = answer.body ? answer.body.output : errorLine(answer);
    const failed = answer.body?.code !== 0;
    if (output) screen.append(h('pre', { class: failed ? 'out error' : 'out' }, output));
    screen.scrollTop = screen.scrollHeight;
  }
}
