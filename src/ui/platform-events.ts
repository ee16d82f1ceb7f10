// The platform's own events (micro.registry, micro.config, micro.sync, micro.runtime, micro.health:
// what happened to services, config, locks, deployments and nodes' health) as the dashboard and
// the explorer show them: one line each (time, topic, action, summary), a filter by topic, action
// and text, and a follower that reads each topic's latest events and then every new one, through
// the Events interface.
//
// The follower subscribes without a group (nothing to acknowledge, nothing kept on the server),
// starting BACKLOG events before each topic's newest, so no event falls between a read and a
// subscribe; deliveries are handed over in batches, at most one per turn of the event loop.
import type { Events, EventRecord, EventSubscription } from '../platform/events/events.ts';
import { PLATFORM_TOPIC_PREFIX } from '../platform/events/events.ts';
import { PLATFORM_TOPICS } from '../platform/events/platform.ts';
import { AUDIT_TOPIC, auditLine, type AuditLine } from './audit-events.ts';

/** The topics the control plane publishes its changes to (registry, config, sync, runtime, health). */
export const PLATFORM_TOPIC_NAMES: readonly string[] = Object.values(PLATFORM_TOPICS);

/** A platform event as one line: where, when, what (its action) and the control plane's summary. */
export interface PlatformLine {
  topic: string;
  offset: number;
  /** When it was stored, ms since the epoch. */
  time: number;
  /** register, deregister, expire, set, delete, rollback, lock, unlock, leader, deploy... */
  action: string;
  /** Whom it is about: the service, the config namespace, the lock or the deployment. */
  name: string;
  /** The control plane's one human line. */
  summary: string;
  /** On `micro.audit`: the audited call's fields (who, which tool, result, code, ms). */
  audit?: AuditLine;
}

/** What to show: every field given must hold. */
export interface PlatformFilter {
  /** One topic only. */
  topic?: string;
  /** One action only. */
  action?: string;
  /** Text found (ignoring case) in the summary or any of the event's names. */
  text?: string;
}

/** Longest summary kept, and longest name. */
const SUMMARY = 500;
const NAME = 200;

const fieldsOf = (data: unknown): Record<string, unknown> =>
  typeof data === 'object' && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : {};
const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';

/** An event of a platform topic as one line (the parts it lacks are empty). */
export function platformLine(e: EventRecord): PlatformLine {
  const d = fieldsOf(e.data);
  const name = str(d.service) || str(d.namespace) || str(d.name);
  const summary = str(d.summary) || (JSON.stringify(e.data) ?? '');
  const audit = e.topic === AUDIT_TOPIC ? auditLine(e.data) : undefined;
  return {
    topic: e.topic,
    offset: e.offset,
    time: e.time,
    // micro.health says where a node went (`to`), not an action.
    action: (str(d.action) || str(d.to)).slice(0, NAME),
    name: name.slice(0, NAME),
    summary: summary.slice(0, SUMMARY),
    ...(audit && { audit }),
  };
}

/** True when the event passes the filter. */
export function platformMatches(e: EventRecord, f: PlatformFilter): boolean {
  if (f.topic && e.topic !== f.topic) return false;
  const d = fieldsOf(e.data);
  if (f.action && (str(d.action) || str(d.to)) !== f.action) return false;
  if (!f.text) return true;
  const want = f.text.toLowerCase();
  return Object.values(d).some((v) => str(v).toLowerCase().includes(want));
}

/** Options of a follower. */
export interface FollowOptions {
  /** The topics to follow (default PLATFORM_TOPIC_NAMES). */
  topics?: readonly string[];
  /** Events read before each topic's newest (default 200; 0: only new ones). */
  backlog?: number;
  /** Called with the events of each turn, in delivery order per topic. */
  onEvents: (events: EventRecord[]) => void;
  /** Called once when a subscription fails or ends while following; the rest are stopped. */
  onEnd?: (err: unknown) => void;
}

/** A follower: stop it when done. */
export interface Follower {
  stop(): Promise<void>;
}

/** Follows the platform topics (or the topics given); resolves once every subscription is live. */
export async function followPlatform(events: Events, o: FollowOptions): Promise<Follower> {
  const topics = o.topics ?? PLATFORM_TOPIC_NAMES;
  const backlog = o.backlog ?? 200;
  // One listing for the platform's topics; another topic is looked up by its own name.
  const listed = await Promise.all(
    [
      ...new Set(
        topics.map((t) => (t.startsWith(PLATFORM_TOPIC_PREFIX) ? PLATFORM_TOPIC_PREFIX : t)),
      ),
    ].map((prefix) => events.topics(prefix)),
  );
  const known = new Map(listed.flat().map((t) => [t.topic, t] as const));
  const subscriptions: EventSubscription[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    stopped = true;
    await Promise.allSettled(subscriptions.map((s) => s.stop()));
  };
  try {
    for (const topic of topics) {
      const info = known.get(topic);
      const start =
        backlog === 0
          ? ('latest' as const)
          : info && info.count > 0
            ? { offset: Math.max(info.first, info.last - backlog + 1) }
            : ('earliest' as const);
      subscriptions.push(await events.subscribe(topic, { start }));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  let batch: EventRecord[] = [];
  const flush = (): void => {
    const out = batch;
    batch = [];
    if (!stopped && out.length > 0) o.onEvents(out);
  };
  const end = (err: unknown): void => {
    if (stopped) return;
    void stop();
    o.onEnd?.(err);
  };
  for (const s of subscriptions)
    void (async () => {
      try {
        for await (const d of s) {
          if (stopped) return;
          if (batch.length === 0) setImmediate(flush);
          batch.push({
            topic: d.topic,
            offset: d.offset,
            id: d.id,
            time: d.time,
            metadata: d.metadata,
            data: d.data,
            ...(d.key !== undefined && { key: d.key }),
          });
        }
        end(undefined);
      } catch (err) {
        end(err);
      }
    })();
  return { stop };
}
