// A button that asks before it acts: a click puts the question, Confirm and Cancel in its place,
// so a put, delete or rollback never happens on one stray click.
import { h, replace } from './dom.js';

/**
 * Creates the button. The action runs on Confirm; the button comes back once it has finished.
 * @param {{ label: string, question: () => string, action: () => Promise<void>, danger?: boolean, small?: boolean, name?: string }} o
 */
export function confirmButton(o) {
  const box = h('span', { class: 'confirm', dataset: { action: o.name ?? o.label } });
  const idle = () =>
    replace(
      box,
      h(
        'button',
        { type: 'button', class: o.small ? 'small' : undefined, onclick: () => ask() },
        o.label,
      ),
    );
  const ask = () => {
    const yes = /** @type {HTMLButtonElement} */ (
      h(
        'button',
        {
          type: 'button',
          class: `${o.danger ? 'danger' : 'primary'}${o.small ? ' small' : ''}`,
          onclick: async () => {
            yes.disabled = true;
            await o.action();
            idle();
          },
        },
        'Confirm',
      )
    );
    replace(
      box,
      h('span', { class: 'question' }, o.question()),
      yes,
      h(
        'button',
        { type: 'button', class: o.small ? 'small' : undefined, onclick: () => idle() },
        'Cancel',
      ),
    );
    yes.focus();
  };
  idle();
  return box;
}
