// The registry as the server's event stream (GET /_/api/events) reports it: every service
// version, and the latest changes. Pages read it and are told when it changes.

/** @typedef {{ id: string, address: string, metadata: Record<string, string> }} Node */
/** @typedef {{ name: string, request?: object, response?: object, metadata: Record<string, string> }} Endpoint */
/** @typedef {{ name: string, version: string, metadata: Record<string, string>, endpoints: Endpoint[], nodes: Node[] }} Service */
/**
 * A change; `topic` is set when the entry lists a topic's subscribers (the server tells), which
 * the Topics page shows, not the services list.
 * @typedef {{ id: number, at: number, action: 'create' | 'update' | 'delete', service: Service, topic?: string }} FeedEvent
 */

const KEEP = 500;
/** @type {Map<string, Service>} */
const state = new Map();
/** @type {FeedEvent[]} */
let events = [];
/** @type {Set<(event: FeedEvent | null) => void>} */
const listeners = new Set();
/** @type {Set<(state: string) => void>} */
const statusListeners = new Set();
let ready = false;
let status = 'connecting';

/**
 * @param {string} text
 * @returns {unknown}
 */
const parse = (text) => JSON.parse(text);

const keyOf = (/** @type {Service} */ s) => `${s.name}\u0000${s.version}`;

const setStatus = (/** @type {string} */ s) => {
  status = s;
  for (const fn of statusListeners) fn(s);
};

/** Opens the event stream; the browser reconnects by itself, and the first message resets. */
export function connect() {
  const source = new EventSource('/_/api/events');
  source.addEventListener('services', (e) => {
    const { services, recent } = /** @type {{ services: Service[], recent: FeedEvent[] }} */ (
      parse(/** @type {MessageEvent<string>} */ (e).data)
    );
    state.clear();
    for (const s of services) state.set(keyOf(s), s);
    events = recent;
    // Measured by the browser test: how long after navigation the first list arrived.
    if (!ready) performance.mark('micro:services');
    ready = true;
    setStatus('live');
    for (const fn of listeners) fn(null);
  });
  source.addEventListener('change', (e) => {
    const event = /** @type {FeedEvent} */ (parse(/** @type {MessageEvent<string>} */ (e).data));
    if (event.topic === undefined) {
      if (event.action === 'delete') state.delete(keyOf(event.service));
      else state.set(keyOf(event.service), event.service);
    }
    events.push(event);
    if (events.length > KEEP) events = events.slice(-KEEP);
    for (const fn of listeners) fn(event);
  });
  source.addEventListener('error', () =>
    setStatus(source.readyState === 2 ? 'offline' : 'reconnecting'),
  );
}

/** True once the first list has arrived. */
export const isReady = () => ready;

/** The state of the stream: connecting, live, reconnecting or offline. */
export const streamStatus = () => status;

/** Every service version, sorted by name then version. */
export function services() {
  return [...state.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
  );
}

/**
 * The versions of one service.
 * @param {string} name
 */
export function versions(name) {
  return services().filter((s) => s.name === name);
}

/** The latest changes, oldest first. */
export const recent = () => events;

/** True when a version or one of its nodes carries handler=web: the dashboard proxies it at /name/. */
export const isWebApp = (/** @type {Service[]} */ list) =>
  list.some(
    (s) => s.metadata?.handler === 'web' || s.nodes.some((n) => n.metadata?.handler === 'web'),
  );

/**
 * Calls fn with each change (null after a full reset); returns the function that stops it.
 * @param {(event: FeedEvent | null) => void} fn
 */
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Calls fn whenever the stream's state changes; returns the function that stops it.
 * @param {(state: string) => void} fn
 */
export function onStatus(fn) {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}
