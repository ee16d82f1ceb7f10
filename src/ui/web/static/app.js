// The dashboard's entry: opens the registry stream and shows the page the URL's hash names.
import { connect, onStatus, streamStatus } from './lib/live.js';

/** @typedef {(root: HTMLElement, ...params: string[]) => (() => void) | void} Page */

/** Each page by the first part of the hash; loaded when first shown. */
const pages = {
  services: () => import('./pages/services.js'),
  topics: () => import('./pages/topics.js'),
  service: () => import('./pages/service.js'),
  health: () => import('./pages/health.js'),
  events: () => import('./pages/events.js'),
  store: () => import('./pages/store.js'),
  config: () => import('./pages/config.js'),
  sync: () => import('./pages/sync.js'),
  platform: () => import('./pages/platform.js'),
  db: () => import('./pages/db.js'),
  terminal: () => import('./pages/terminal.js'),
};

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const live = /** @type {HTMLElement} */ (document.getElementById('live'));
/** @type {(() => void) | void} */
let leave;
let shown = 0;

async function show() {
  const [first = '', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const name = first in pages ? first : 'services';
  const params = rest.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const turn = ++shown;
  const module = await pages[/** @type {keyof typeof pages} */ (name)]();
  if (turn !== shown) return;
  if (typeof leave === 'function') leave();
  main.replaceChildren();
  main.dataset.page = name;
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle(
      'active',
      /** @type {HTMLElement} */ (a).dataset.page === (name === 'service' ? 'services' : name),
    );
  }
  leave = module.render(main, ...params);
}

const showStatus = (/** @type {string} */ s) => {
  live.dataset.state = s;
  live.textContent = s;
};
onStatus(showStatus);
showStatus(streamStatus());
connect();
window.addEventListener('hashchange', () => void show());
void show();
