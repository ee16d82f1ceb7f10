// The dashboard's entry: opens the registry stream and shows the page the URL's hash names.
import { logOut, toLogin, whoami } from './lib/api.js';
import { connect, onStatus, streamStatus } from './lib/live.js';

/** @typedef {(root: HTMLElement, ...params: string[]) => (() => void) | void} Page */

/** Each page by the first part of the hash; loaded when first shown. */
const pages = {
  services: () => import('./pages/services.js'),
  topics: () => import('./pages/topics.js'),
  service: () => import('./pages/service.js'),
  health: () => import('./pages/health.js'),
  metrics: () => import('./pages/metrics.js'),
  routes: () => import('./pages/routes.js'),
  mcp: () => import('./pages/mcp.js'),
  bot: () => import('./pages/bot.js'),
  events: () => import('./pages/events.js'),
  traces: () => import('./pages/traces.js'),
  trace: () => import('./pages/trace.js'),
  map: () => import('./pages/map.js'),
  logs: () => import('./pages/logs.js'),
  store: () => import('./pages/store.js'),
  config: () => import('./pages/config.js'),
  sync: () => import('./pages/sync.js'),
  platform: () => import('./pages/platform.js'),
  db: () => import('./pages/db.js'),
  auth: () => import('./pages/auth.js'),
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
  /** @type {Record<string, string>} */
  const under = { service: 'services', trace: 'traces' };
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle(
      'active',
      /** @type {HTMLElement} */ (a).dataset.page === (under[name] ?? name),
    );
  }
  leave = module.render(main, ...params);
}

const showStatus = (/** @type {string} */ s) => {
  live.dataset.state = s;
  live.textContent = s;
};
/** Shows who is logged in and the Log out button, when the dashboard has auth. */
async function showUser() {
  const who = await whoami();
  // A 401 has opened the login page already.
  if (!who.ok) return who.status !== 401;
  if (!who.body?.auth) return true;
  const user = /** @type {HTMLElement} */ (document.getElementById('user'));
  /** @type {HTMLElement} */ (document.getElementById('user-id')).textContent = who.body.id ?? '';
  user.title = `${who.body.type ?? ''} ${who.body.roles?.join(', ') ?? ''}`.trim();
  user.hidden = false;
  /** @type {HTMLElement} */ (document.querySelector('nav a[data-page="auth"]')).hidden = false;
  /** @type {HTMLElement} */ (document.getElementById('logout')).addEventListener('click', () => {
    void logOut().then(toLogin);
  });
  return true;
}

onStatus(showStatus);
showStatus(streamStatus());
if (await showUser()) {
  connect();
  window.addEventListener('hashchange', () => void show());
  void show();
}
