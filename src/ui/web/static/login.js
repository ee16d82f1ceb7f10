// The login page: posts the account id and secret as JSON to /_/api/login, which sets the session
// cookie (the page never sees a token), then opens the dashboard at the page it came from.
import { errorLine, logIn } from './lib/api.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('login'));
const id = /** @type {HTMLInputElement} */ (document.getElementById('login-id'));
const secret = /** @type {HTMLInputElement} */ (document.getElementById('login-secret'));
const problem = /** @type {HTMLElement} */ (document.getElementById('login-problem'));
const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));

/** Where to go once logged in: the dashboard's page named by the hash, if any. */
const back = () => `/${/^#\/[^\s]*$/.test(location.hash) ? location.hash : ''}`;

/** @param {SubmitEvent} e */
async function submit(e) {
  e.preventDefault();
  button.disabled = true;
  problem.hidden = true;
  const a = await logIn(id.value, secret.value);
  button.disabled = false;
  if (a.ok) return location.assign(back());
  secret.value = '';
  problem.hidden = false;
  problem.textContent =
    a.status === 401 ? 'Wrong account or secret.' : `Could not log in: ${errorLine(a)}`;
  secret.focus();
}

form.addEventListener('submit', (e) => void submit(e));
id.focus();
