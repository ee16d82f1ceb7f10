// Delivers micro's durable events to a Dapr app, as Dapr's sidecar does: it asks the app GET
// /dapr/subscribe once the app answers (retrying while it is not up), subscribes to each topic in a
// consumer group named after the app (so the sidecars of one app's instances share the events), and
// POSTs each event as a CloudEvent (application/cloudevents+json) to its route.
//
// The app's answer decides (Dapr's contract): a 2xx with {status: SUCCESS} or no status, or a body
// that is not JSON, acknowledges; RETRY, an unknown status, another status code or no answer within
// the ack timeout delivers it again later (backing off from 100 ms to 10 s); DROP and a 404 drop it,
// to the subscription's dead-letter topic when it has one. While the app cannot be reached (it
// restarts) the sidecar holds the delivery and tries again, for up to 80% of the ack timeout. After maxDeliveries
// failed deliveries (default 5) the events area itself moves it to the dead-letter topic (default
// `<topic>.dead`). At least once: an app may see an event again after a sidecar or control-plane
// restart. Limits: subscriptions are read once, when the app first answers (restart the sidecar to
// change them); an app's answer is read up to 64 KiB.
import type { Delivery, EventSubscription, Events } from '../../../platform/events/events.ts';
import type { Logger } from '../../../runtime/server/server.ts';
import { EVENTS_LIMITS } from '../../../platform/events/events.ts';
import { toCloudEvent, type CloudEvent } from './cloudevent.ts';
import {
  describeSubscription,
  readSubscriptions,
  routeOf,
  type Subscription,
} from './subscriptions.ts';

/** What the subscriber needs. */
export interface SubscriberOptions {
  events: Events;
  /** The app's id: the consumer group. */
  appId: string;
  /** host:port where the app listens. */
  appAddress: string;
  /** The pubsub names accepted. */
  pubsubs: readonly string[];
  logger: Logger;
}

/** The running subscriber. */
export interface DaprSubscriber {
  /** The live subscriptions, as GET /v1.0/metadata lists them. */
  list(): Record<string, unknown>[];
  /** Resolves once the app's subscriptions are live (or it answered that it has none). */
  readonly ready: Promise<void>;
  /** Stops every subscription and waits for deliveries under way. */
  close(): Promise<void>;
}

type Outcome = 'success' | 'retry' | 'drop';
type Entry = { s: Subscription; sub?: EventSubscription };

const ANSWER_BYTES = 64 * 1024;
const SUBSCRIBE_BYTES = 1024 * 1024;

/** The body's text, or undefined past `max` bytes (the rest is not read). */
async function bounded(res: Response, max: number): Promise<string | undefined> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) {
      await res.body.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads the app's answer to a delivery as Dapr does. */
async function outcomeOf(res: Response): Promise<Outcome> {
  if (res.status === 404) {
    await res.body?.cancel();
    return 'drop';
  }
  if (res.status < 200 || res.status > 299) {
    await res.body?.cancel();
    return 'retry';
  }
  const text = (await bounded(res, ANSWER_BYTES)) ?? '';
  let status: unknown;
  try {
    status = (JSON.parse(text) as { status?: unknown } | null)?.status;
  } catch {
    return 'success';
  }
  if (status === undefined || status === null || status === '') return 'success';
  const s = typeof status === 'string' ? status.toUpperCase() : '';
  return s === 'SUCCESS' ? 'success' : s === 'DROP' ? 'drop' : 'retry';
}

/** Starts asking the app for its subscriptions and delivering to them. */
export function startDaprSubscriber(o: SubscriberOptions): DaprSubscriber {
  const entries: Entry[] = [];
  const running: Promise<void>[] = [];
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();
  const base = `http://${o.appAddress}`;

  const pause = (ms: number): Promise<void> =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      stopping.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });

  /**
   * POSTs the event to the app. While the app cannot be reached (it restarts) the POST is tried
   * again, holding the delivery, until 80% of the ack timeout: a restarting app costs one failed
   * delivery per ack timeout, not five in a few seconds.
   */
  const post = async (s: Subscription, route: string, event: CloudEvent): Promise<Outcome> => {
    const deadline = Date.now() + 0.8 * (s.options.ackTimeout ?? EVENTS_LIMITS.ackTimeout.default);
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      try {
        const res = await fetch(`${base}${route}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/cloudevents+json',
            pubsubname: s.pubsubname,
            ...(typeof event.traceparent === 'string' && { traceparent: event.traceparent }),
          },
          body: JSON.stringify(event),
          signal: AbortSignal.any([
            stopping.signal,
            AbortSignal.timeout(Math.max(1, deadline - Date.now())),
          ]),
        });
        return await outcomeOf(res);
      } catch (err) {
        // An answer that did not come in time, or the sidecar stopping: no second try.
        const unreachable = (err as Error).name === 'TypeError';
        if (!unreachable || stopping.signal.aborted || Date.now() + wait >= deadline)
          return 'retry';
        await pause(wait);
      }
    }
  };

  const deliver = async (s: Subscription, d: Delivery): Promise<void> => {
    const event = toCloudEvent(d, s.pubsubname, s.raw);
    const route = routeOf(s, event);
    const outcome: Outcome = route ? await post(s, route, event) : 'drop';
    if (stopping.signal.aborted) return; // its ack timeout delivers it again
    try {
      if (outcome === 'retry') return await d.nack(Math.min(10_000, 100 * 2 ** (d.attempt - 1)));
      if (outcome === 'drop') {
        o.logger.warn(
          `${route ? `${s.topic} event ${event.id} dropped by the app at ${route}` : `${s.topic} event ${event.id} matched no route`}${s.deadLetterTopic ? `: sent to ${s.deadLetterTopic}` : ''}`,
        );
        if (s.deadLetterTopic)
          await o.events.publish(s.deadLetterTopic, d.data, { metadata: d.metadata });
      }
      await d.ack();
    } catch (err) {
      o.logger.warn(`${s.topic} event ${event.id}: ${(err as Error).message}`);
    }
  };

  /** Keeps one subscription: subscribes (again after a failure) until the sidecar stops. */
  const keep = async (entry: Entry, live: () => void): Promise<void> => {
    const { s } = entry;
    let wait = 100;
    while (!stopping.signal.aborted) {
      try {
        entry.sub = await o.events.subscribe(s.topic, s.options);
        if (stopping.signal.aborted) return void (await entry.sub.stop());
        o.logger.info(`${o.appId} subscribed to ${s.pubsubname}/${s.topic} (group ${o.appId})`);
        live();
        wait = 100;
        for await (const d of entry.sub) {
          const p = deliver(s, d).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        if (stopping.signal.aborted) return;
      } catch (err) {
        if (stopping.signal.aborted) return;
        o.logger.warn(
          `subscribing ${o.appId} to ${s.topic}: ${(err as Error).message}; trying again`,
        );
      }
      await pause(wait);
      wait = Math.min(wait * 2, 10_000);
    }
  };

  const discover = async (): Promise<void> => {
    let wait = 100;
    let logged = false;
    while (!stopping.signal.aborted) {
      try {
        const res = await fetch(`${base}/dapr/subscribe`, {
          signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(5000)]),
        });
        if (!res.ok) {
          await res.body?.cancel();
          if (res.status !== 404)
            o.logger.warn(`GET /dapr/subscribe answered ${res.status}: no subscriptions`);
          return;
        }
        const text = await bounded(res, SUBSCRIBE_BYTES);
        if (text === undefined) {
          o.logger.warn(`GET /dapr/subscribe answered more than 1 MiB: no subscriptions`);
          return;
        }
        const list = readSubscriptions(JSON.parse(text), o.pubsubs, o.appId);
        for (const reason of list.skipped) o.logger.warn(`not subscribed: ${reason}`);
        // Ready once each is live (or the sidecar stops); each keeps itself going after that.
        await Promise.all(
          list.subscriptions.map((s) => {
            const entry: Entry = { s };
            entries.push(entry);
            return new Promise<void>((live) => {
              running.push(keep(entry, live).finally(live));
            });
          }),
        );
        return;
      } catch (err) {
        if (stopping.signal.aborted) return;
        if (err instanceof SyntaxError) {
          o.logger.warn(`GET /dapr/subscribe answered malformed JSON: no subscriptions`);
          return;
        }
        if (!logged)
          o.logger.info(`waiting for the app at ${o.appAddress} to ask for its subscriptions`);
        logged = true;
      }
      await pause(wait);
      wait = Math.min(wait * 2, 5000);
    }
  };

  const ready = discover().catch((err: unknown) =>
    o.logger.warn(`subscribing for ${o.appId} failed: ${(err as Error).message}`),
  );
  return {
    list: () => entries.filter((e) => e.sub).map((e) => describeSubscription(e.s)),
    ready,
    async close() {
      stopping.abort();
      await ready;
      await Promise.all(entries.map(async (e) => e.sub?.stop().catch(() => undefined)));
      await Promise.all(running);
      await Promise.all([...inFlight]);
    },
  };
}
