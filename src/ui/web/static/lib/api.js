// The dashboard's JSON routes under /_/api, typed.

/** @typedef {{ id?: string, code: number, detail: string, status: string }} ErrorShape */

/**
 * An answer: the body of a 2xx, or the error of anything else (status 0: no answer at all).
 * @template T
 * @typedef {{ ok: boolean, status: number, body?: T, error?: ErrorShape, ms?: number }} Answer
 */

/** @typedef {{ response: unknown, node: { id: string, address: string }, ms: number }} CallResult */
/** @typedef {{ service: string, version: string, node: string, address: string, status: string, ms: number, error?: ErrorShape }} NodeHealth */
/** @typedef {{ name: string, status: 'ok' | 'failing', critical: boolean, detail?: string, ms: number, checked: number }} CheckResult */
/** @typedef {{ service: string, version: string, node: string, address: string, status: 'healthy' | 'unhealthy' | 'unknown', degraded: boolean, since: number, checked: number, ms: number, checks: CheckResult[], detail?: string }} NodeStatus */
/** @typedef {{ id: number, time: number, service: string, version: string, node: string, from: string, to: string, detail?: string }} StatusChange */
/** @typedef {{ output: string, code: number }} TerminalResult */
/** @typedef {{ topic: string, subscribers: number, queues: string[], services: string[] }} Topic */

/**
 * Calls an endpoint through the dashboard.
 * @param {{ service: string, endpoint: string, version?: string, request: unknown }} call
 * @returns {Promise<Answer<CallResult>>}
 */
export const callEndpoint = (call) => send('POST', '/_/api/call', call);

/**
 * Debug.Health of every node of a service, or of every service.
 * @param {string} [service]
 * @returns {Promise<Answer<{ nodes: NodeHealth[] }>>}
 */
export const health = (service) =>
  send('GET', service ? `/_/api/health?service=${encodeURIComponent(service)}` : '/_/api/health');

/**
 * Every node's status as the control plane's monitor last probed it.
 * @returns {Promise<Answer<{ nodes: NodeStatus[] }>>}
 */
export const monitorStatus = () => read('monitor/status');

/**
 * The monitor's last status changes, newest first.
 * @param {number} limit
 * @returns {Promise<Answer<{ changes: StatusChange[] }>>}
 */
export const monitorHistory = (limit) => read('monitor/history', { limit });

/**
 * One service's versions in full: nodes, endpoints and their schemas.
 * @param {string} name
 * @returns {Promise<Answer<{ name: string, versions: import('./live.js').Service[] }>>}
 */
export const service = (name) => send('GET', `/_/api/service?name=${encodeURIComponent(name)}`);

/**
 * Runs one line in the server's terminal.
 * @param {string} line
 * @returns {Promise<Answer<TerminalResult>>}
 */
export const terminal = (line) => send('POST', '/_/api/terminal', { line });

/** @typedef {{ key: string, value?: unknown, version: string, expiresAt?: number }} Entry */
/** @typedef {{ database: string, table: string }} StoreNamespace */
/** @typedef {{ version: number, path: string, action: string, from?: number, author: string, at: number }} ConfigVersion */
/** @typedef {{ path: string, before?: unknown, after?: unknown }} ConfigDiff */
/** @typedef {{ name: string, holder: string, token: number, expiresAt: number }} LockInfo */
/** @typedef {{ name: string, id: string, term: number, since: number }} LeaderInfo */

/**
 * Reads from a platform service through the dashboard: read('store/list', { prefix: 'a' }) is
 * GET /_/api/store/list?prefix=a, which calls Store.List. Undefined values are left out.
 * @template T
 * @param {string} path
 * @param {Record<string, string | number | boolean | undefined>} [params]
 * @returns {Promise<Answer<T>>}
 */
export function read(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
  const q = query.toString();
  return send('GET', `/_/api/${path}${q ? `?${q}` : ''}`);
}

/**
 * Changes something in a platform service through the dashboard: change('config/set', {...}) is a
 * POST of the request to /_/api/config/set, which calls Config.Set.
 * @template T
 * @param {string} path
 * @param {Record<string, unknown>} request
 * @returns {Promise<Answer<T>>}
 */
export const change = (path, request) => send('POST', `/_/api/${path}`, request);

/** @typedef {{ auth: boolean, id?: string, type?: string, roles?: string[] }} Who */

/**
 * Logs in: the server sets the session cookie; the answer says who logged in, never a token.
 * @param {string} id
 * @param {string} secret
 * @returns {Promise<Answer<Who>>}
 */
export const logIn = (id, secret) => send('POST', '/_/api/login', { id, secret });

/**
 * Logs out: the server revokes the session's tokens and clears the cookie.
 * @returns {Promise<Answer<Who>>}
 */
export const logOut = () => send('POST', '/_/api/logout', {});

/**
 * Who is logged in ({auth: false} when the dashboard has no auth).
 * @returns {Promise<Answer<Who>>}
 */
export const whoami = () => send('GET', '/_/api/session');

/** Opens the login page, which comes back to the page shown now. */
export const toLogin = () => location.assign(`/_/login${location.hash}`);

/**
 * Parses JSON text, typed as what it is: unknown until checked.
 * @param {string} text
 * @returns {unknown}
 */
export const parse = (text) => JSON.parse(text);

/**
 * Sends a request; a failure to reach the dashboard is an answer with status 0.
 * @template T
 * @param {'GET' | 'POST'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<Answer<T>>}
 */
async function send(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    return { ok: false, status: 0, error: { code: 0, status: 'Unreachable', detail: String(err) } };
  }
  // The session ended (or never began): log in again. A service's own 401 carries no challenge.
  if (res.status === 401 && res.headers.has('www-authenticate') && path !== '/_/api/login')
    toLogin();
  const text = await res.text();
  /** @type {unknown} */
  let json;
  try {
    json = parse(text);
  } catch {
    json = undefined;
  }
  if (res.ok) return { ok: true, status: res.status, body: /** @type {T} */ (json) };
  const failed = /** @type {{ error?: ErrorShape, ms?: number } | undefined} */ (json);
  const error = failed?.error ?? { code: res.status, status: res.statusText, detail: text };
  return { ok: false, status: res.status, error, ms: failed?.ms };
}

/**
 * The error of an answer as one line: `404 Not Found: service x not found`.
 * @param {Answer<unknown>} a
 */
export function errorLine(a) {
  const e = a.error;
  return `${e?.code ?? a.status} ${e?.status ?? ''}: ${e?.detail ?? 'failed'}`;
}
