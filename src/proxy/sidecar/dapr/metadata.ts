// Dapr's metadata API: what the SDKs read before their first call (they poll GET /v1.0/metadata and
// give up without it), and custom attributes set with PUT /v1.0/metadata/{name}. Components are not
// configured one by one as in Dapr: any store name works, so the listing shows the conventional
// names (statestore, configstore, lockstore) and every other name used since the sidecar started
// (at most 100 per kind), and the configured pubsub names (`pubsub` by default).
import type { FastifyInstance } from 'fastify';
import { DaprError, malformed } from './errors.ts';
import { DAPR_LIMITS, componentName } from './input.ts';
import { badRequest } from '../../../runtime/errors.ts';
import { SIDECAR_ID } from '../guard.ts';

/** What the metadata answer says of the sidecar. */
export interface MetadataOptions {
  /** The app id (the sidecar's --server-name, or `micro`). */
  appId: string;
  /** micro's version, reported as runtimeVersion. */
  version: string;
  /** Where the app listens, when the sidecar has one. */
  appAddress?: string;
  /** Which building blocks have their platform part. */
  has: { state: boolean; configuration: boolean; lock: boolean };
  /** Whether the store applies transactions of several keys (not NATS KV). */
  transactional: boolean;
  /** The pubsub names configured. */
  pubsubs: readonly string[];
  /** The app's live subscriptions, as Dapr lists them. */
  subscriptions(): Record<string, unknown>[];
}

const KINDS = {
  state: {
    type: 'state.micro',
    capabilities: ['ETAG', 'TRANSACTIONAL', 'TTL'],
    name: 'statestore',
  },
  configuration: { type: 'configuration.micro', capabilities: [], name: 'configstore' },
  lock: { type: 'lock.micro', capabilities: [], name: 'lockstore' },
  pubsub: { type: 'pubsub.micro', capabilities: [], name: 'pubsub' },
} as const;
type Kind = keyof typeof KINDS;

const USED =
  /^\/v1\.0(?:-alpha1)?\/(state|configuration|lock|unlock)\/([A-Za-z0-9._-]{1,128})(?:[/?]|$)/;

/** Registers GET /v1.0/metadata and PUT /v1.0/metadata/{name}. */
export function registerMetadata(app: FastifyInstance, o: MetadataOptions): void {
  const used: Record<Kind, Set<string>> = {
    state: new Set(),
    configuration: new Set(),
    lock: new Set(),
    pubsub: new Set(),
  };
  const extended = new Map<string, string>([['daprRuntime', 'micro sidecar']]);
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 400) return;
    const m = USED.exec(req.url);
    if (!m?.[1] || !m[2]) return;
    const kind: Kind = m[1] === 'unlock' ? 'lock' : (m[1] as Kind);
    if (used[kind].size < 100) used[kind].add(m[2]);
  });

  const components = () => {
    const out: { name: string; type: string; version: string; capabilities: string[] }[] = [];
    for (const kind of Object.keys(KINDS) as Kind[]) {
      if (kind !== 'pubsub' && !o.has[kind]) continue;
      const k = KINDS[kind];
      const names = kind === 'pubsub' ? o.pubsubs : [k.name, ...used[kind]];
      for (const name of new Set(names))
        out.push({
          name,
          type: k.type,
          version: 'v1',
          capabilities: k.capabilities.filter((c) => c !== 'TRANSACTIONAL' || o.transactional),
        });
    }
    return out;
  };

  app.get('/v1.0/metadata', async () => ({
    id: o.appId,
    runtimeVersion: o.version,
    enabledFeatures: [],
    actorRuntime: { runtimeStatus: 'DISABLED', activeActors: [], hostReady: false },
    components: components(),
    extended: Object.fromEntries(extended),
    subscriptions: o.subscriptions(),
    httpEndpoints: [],
    ...(o.appAddress
      ? {
          appConnectionProperties: {
            port: Number(o.appAddress.slice(o.appAddress.lastIndexOf(':') + 1)),
            protocol: 'http',
            channelAddress: o.appAddress.slice(0, o.appAddress.lastIndexOf(':')),
          },
        }
      : {}),
  }));

  app.put('/v1.0/metadata/:name', async (req, reply) => {
    const name = componentName((req.params as { name: string }).name, 'attribute');
    const value = req.body;
    if (typeof value !== 'string' || value.length > DAPR_LIMITS.text)
      throw malformed(
        `send the attribute's value as text/plain, at most ${DAPR_LIMITS.text} characters`,
      );
    if (!extended.has(name) && extended.size >= DAPR_LIMITS.attributes)
      throw new DaprError(
        'ERR_METADATA_SET',
        badRequest(SIDECAR_ID, `at most ${DAPR_LIMITS.attributes} attributes`),
      );
    extended.set(name, value);
    return reply.code(204).send();
  });
}
