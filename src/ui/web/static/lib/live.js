// The registry as the server's event stream (GET /_/api/events) reports it: one summary per
// service name, the topics and the latest events. Changes are applied as they arrive; pages are
// told once per animation frame, with what changed.
import { whoami } from './api.js';

/** @typedef {{ id: string, address: string, metadata: Record<string, string> }} Node */
/** @typedef {{ name: string, request?: object, response?: object, metadata: Record<string, string> }} Endpoint */
/** @typedef {{ name: string, version: string, metadata: Record<string, string>, endpoints: Endpoint[], nodes: Node[] }} Service */
/**
 * One service name as the list shows it (src/ui/web/summary.ts).
 * @typedef {{ name: string, versions: string[], nodes: number, endpoints: number, web: boolean }} Summary
 */
/**
 * A registry event as the Events page shows it; `topic` is set when the entry lists a topic's
 * subscribers.
 * @typedef {{ id: number, at: number, action: 'create' | 'update' | 'delete', name: string, version: string, nodes: string[], nodeCount: number, topic?: string }} RecentEvent
 */
/** @typedef {import('./api.js').Topic} Topic */
/**
 * What changed since pages were last told: everything (reset), or these names, the topics, and
 * these new events.
 * @typedef {{ reset: boolean, names: Set<string>, topics: boolean, events: RecentEvent[] }} Change
 */

/** Events kept for the Events page. */
export const KEEP = 500;

const collator = new Intl.Collator('en', { numeric: true });

/**
 * Natural order (`svc-2` before `svc-10`), total: names the collator ties are told apart.
 * @param {string} a
 * @param {string} b
 */
export const naturalCompare = (a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

/** @type {Map<string, Summary>} */
const byName = new Map();
/** @type {string[]} every name, in natural order */
let names = [];
/** @type {Topic[]} */
let topicList = [];
/** @type {RecentEvent[]} */
let events = [];
let lastId = 0;
/** @type {Change} */
let pending = fresh();
let frame = 0;
/** @type {Set<(change: Change) => void>} */
const listeners = new Set();
/** @type {Set<(state: string) => void>} */
const statusListeners = new Set();
let ready = false;
let status = 'connecting';

/** @returns {Change} */
function fresh() {
  return { reset: false, names: new Set(), topics: false, events: [] };
}

/**
 * @param {string} text
 * @returns {unknown}
 */
const parse = (text) => JSON.parse(text);

const setStatus = (/** @type {string} */ s) => {
  status = s;
  for (const fn of statusListeners) fn(s);
};

/**
 * Where a name is, or would be inserted, in the sorted names.
 * @param {string} name
 */
function position(name) {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (naturalCompare(/** @type {string} */ (names[mid]), name) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** @param {Summary} s */
function put(s) {
  if (!byName.has(s.name)) names.splice(position(s.name), 0, s.name);
  byName.set(s.name, s);
}

/** @param {string} name */
function drop(name) {
  if (!byName.delete(name)) return;
  const i = position(name);
  if (names[i] === name) names.splice(i, 1);
}

/** @param {RecentEvent[]} list */
function addEvents(list) {
  const fresh = list.filter((e) => e.id > lastId);
  if (fresh.length === 0) return [];
  lastId = /** @type {RecentEvent} */ (fresh.at(-1)).id;
  events.push(...fresh);
  if (events.length > KEEP) events = events.slice(-KEEP);
  return fresh;
}

/** Tells the pages once per frame. */
function schedule() {
  frame ||= requestAnimationFrame(() => {
    frame = 0;
    const change = pending;
    pending = fresh();
    for (const fn of listeners) fn(change);
  });
}

/** Opens the event stream; the browser reconnects by itself, and the first message resets. */
export function connect() {
  const source = new EventSource('/_/api/events');
  source.addEventListener('services', (e) => {
    const snapshot =
      /** @type {{ services: Summary[], topics: Topic[], recent: RecentEvent[] }} */ (
        parse(/** @type {MessageEvent<string>} */ (e).data)
      );
    byName.clear();
    // The server sends them in natural order already; sorting again is cheap and keeps it true.
    names = snapshot.services.map((s) => s.name).sort(naturalCompare);
    for (const s of snapshot.services) byName.set(s.name, s);
    topicList = snapshot.topics;
    events = [];
    lastId = 0;
    addEvents(snapshot.recent);
    // Measured by the browser tests: how long after navigation the first list arrived.
    if (!ready) performance.mark('micro:services');
    ready = true;
    setStatus('live');
    pending = { ...fresh(), reset: true, topics: true };
    schedule();
  });
  source.addEventListener('changes', (e) => {
    const batch =
      /** @type {{ services: Summary[], removed: string[], topics?: Topic[], events: RecentEvent[] }} */ (
        parse(/** @type {MessageEvent<string>} */ (e).data)
      );
    for (const s of batch.services) {
      put(s);
      pending.names.add(s.name);
    }
    for (const name of batch.removed) {
      drop(name);
      pending.names.add(name);
    }
    if (batch.topics) {
      topicList = batch.topics;
      pending.topics = true;
    }
    pending.events.push(...addEvents(batch.events));
    if (pending.events.length > KEEP) pending.events = pending.events.slice(-KEEP);
    schedule();
  });
  source.addEventListener('error', () => {
    setStatus(source.readyState === 2 ? 'offline' : 'reconnecting');
    // A refused stream is not retried by the browser: ask why (a 401 opens the login page).
    if (source.readyState === 2) void whoami();
  });
}

/** True once the first list has arrived. */
export const isReady = () => ready;

/** The state of the stream: connecting, live, reconnecting or offline. */
export const streamStatus = () => status;

/** Every service name, in natural order (the live array: read it, do not change it). */
export const serviceNames = () => names;

/**
 * The summary of one service name.
 * @param {string} name
 */
export const summary = (name) => byName.get(name);

/** Every topic subscribed to. */
export const topics = () => topicList;

/** The latest events, oldest first. */
export const recent = () => events;

/** True when a version or one of its nodes carries handler=web: the dashboard proxies it at /name/. */
export const isWebApp = (/** @type {Service[]} */ list) =>
  list.some(
    (s) => s.metadata?.handler === 'web' || s.nodes.some((n) => n.metadata?.handler === 'web'),
  );

/**
 * Calls fn once per animation frame in which something changed; returns the function that stops it.
 * @param {(change: Change) => void} fn
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
