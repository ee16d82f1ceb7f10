// The sidecar speaking Dapr's HTTP API, so that an app written for Dapr, or an official Dapr SDK,
// works against `micro sidecar` unchanged: metadata and health (what the SDKs poll at start),
// service invocation, and the pub/sub, state, configuration and lock building blocks on micro's
// platform (the Events, Store, Config and Sync the sidecar is given; the control plane's by default).
//
// Mapping (see each file): state store S of app A -> the micro store's database A, table S;
// configuration store S -> config namespace S; lock store S, resource R -> the micro lock `S/R`;
// invoke app X method M -> a call of service X, endpoint M; publish to pubsub P, topic T -> micro's
// durable events topic T (P one of the configured names; pubsub.ts), delivered to the app's
// subscriptions in the consumer group A (subscriber.ts).
//
// Errors carry both shapes: the project's {id, code, detail, status} and Dapr's {errorCode, message}
// (see errors.ts). Bounds: the sidecar's body limit and JSON depth, and DAPR_LIMITS (input.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../../platform/config/config.ts';
import type { Events } from '../../../platform/events/events.ts';
import type { Store } from '../../../platform/store/store.ts';
import type { Sync } from '../../../platform/sync/sync.ts';
import type { Logger } from '../../../runtime/server/server.ts';
import { parseBoundedJson } from '../../nesting.ts';
import { SIDECAR_ID } from '../guard.ts';
import { registerConfiguration } from './configuration.ts';
import { malformed } from './errors.ts';
import { componentName } from './input.ts';
import { registerLock } from './lock.ts';
import { registerMetadata } from './metadata.ts';
import { registerPubsub } from './pubsub.ts';
import { registerState } from './state.ts';
import { startDaprSubscriber, type DaprSubscriber } from './subscriber.ts';

export { DAPR_LIMITS } from './input.ts';

/** What the Dapr paths need from the sidecar. */
export interface DaprOptions {
  /** The app's id: the name the sidecar registers it under, or `micro`. */
  appId: string;
  /** micro's version, reported as the runtime's. */
  version: string;
  /** Where the app listens (host:port): configuration updates are POSTed there. */
  appAddress?: string;
  /** Backs the pub/sub API (absent: publishes go to micro's broker, and nothing is delivered to the app). */
  events?: Events;
  /** The pubsub names accepted (default `pubsub`, the name of Dapr's default component); a bad one is a 400 at start. */
  pubsubs?: readonly string[];
  /** Backs the state API (absent: its paths answer 503). */
  store?: Store;
  /** Backs the configuration API (absent: 503). */
  config?: Config;
  /** Backs the lock API (absent: 503). */
  sync?: Sync;
  /** Deepest nesting of a JSON body. */
  jsonDepth: number;
  logger: Logger;
  /** Calls a service's endpoint, as the sidecar's other paths do. */
  call(service: string, endpoint: string, body: unknown, req: FastifyRequest): Promise<unknown>;
  /** Publishes to a topic, as the sidecar's other paths do. */
  publish(topic: string, body: unknown): Promise<unknown>;
}

/** What the Dapr paths started. */
export interface DaprHandle {
  /** Resolves once the app's pub/sub subscriptions are live (at once when there is none to ask). */
  readonly subscribed: Promise<void>;
}

/** Registers Dapr's paths in their own scope (they also take text/plain and CloudEvents bodies). */
export function registerDapr(app: FastifyInstance, o: DaprOptions): DaprHandle {
  const pubsubs = o.pubsubs?.length ? o.pubsubs.map((n) => componentName(n, 'pubsub')) : ['pubsub'];
  const { events, appAddress } = o;
  let subscriber: DaprSubscriber | undefined;
  let subscribed: () => void = () => undefined;
  const handle = {
    subscribed: new Promise<void>((r) => (subscribed = r)),
  };
  // Delivery starts once the sidecar listens (a sidecar that fails to start asks the app nothing).
  if (events && appAddress)
    app.addHook('onListen', async () => {
      subscriber ??= startDaprSubscriber({
        events,
        appId: o.appId,
        appAddress,
        pubsubs,
        logger: o.logger,
      });
      void subscriber.ready.then(subscribed);
    });
  else subscribed();
  void app.register(async (scope) => {
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    scope.addContentTypeParser(
      'application/cloudevents+json',
      { parseAs: 'string' },
      (_req, body, done) => {
        try {
          done(null, parseBoundedJson(body as string, o.jsonDepth, SIDECAR_ID, 'the body'));
        } catch (err) {
          done(err as Error, undefined);
        }
      },
    );
    registerMetadata(scope, {
      appId: o.appId,
      version: o.version,
      appAddress: o.appAddress,
      has: { state: !!o.store, configuration: !!o.config, lock: !!o.sync },
      pubsubs,
      subscriptions: () => subscriber?.list() ?? [],
      // The Store interface does not say; NATS KV is the one engine that applies one key at a time.
      transactional: o.store?.name !== 'nats',
    });
    scope.get('/v1.0/healthz/outbound', async (_req, reply) => reply.code(204).send());
    registerPubsub(scope, {
      events: o.events,
      pubsubs,
      appId: o.appId,
      jsonDepth: o.jsonDepth,
      broker: (topic, body) => o.publish(topic, body),
    });
    scope.all('/v1.0/invoke/:app/method/:method', async (req) => {
      const p = req.params as { app: string; method: string };
      if (p.app === '')
        throw malformed('the app id must not be empty: /v1.0/invoke/{app}/method/{method}');
      return o.call(p.app, p.method, req.body, req);
    });
    registerState(scope, o.store, o.appId);
    const subscriptions = registerConfiguration(scope, o.config, o.appAddress, o.logger);
    const locks = registerLock(scope, o.sync, o.logger);
    scope.addHook('onClose', async () => {
      await subscriber?.close();
      subscriptions.close();
      await locks.close();
    });
  });
  return handle;
}
