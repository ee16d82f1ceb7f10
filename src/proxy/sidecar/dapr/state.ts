// Dapr's state API on a micro Store. A state store named S, used by the app A (the sidecar's
// --server-name; `micro` when it has none), is the micro store's table S in database A: keys stay per
// app as in Dapr's `<app id>||<key>` scheme, and a micro service named A reads the same entries with
// `service.store.get(key, {table: 'S'})`. ETags are the store's versions.
//
// Concurrency: an etag makes a write or delete conditional (a stale one is a 409, as in Dapr);
// `first-write` without an etag writes only a key that does not exist; `last-write` ignores the etag.
// A save of several items and a transaction are atomic (the store's transact); on an engine without
// multi-key transactions (NATS KV) a save is one put after another and a transaction of more than
// one operation is its 501. TTL: `metadata.ttlInSeconds` (query, or an item's metadata; the query
// wins, as in Dapr); -1 means none.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Namespace, Operation, Store } from '../../../platform/store/store.ts';
import { MicroError } from '../../../runtime/errors.ts';
import { asDapr, malformed, notConfigured } from './errors.ts';
import {
  array,
  componentName,
  isObject,
  only,
  queryMetadata,
  seconds,
  stateKey,
  strings,
} from './input.ts';

type Put = Extract<Operation, { op: 'put' }>;
type Del = Extract<Operation, { op: 'delete' }>;

/** The TTL in ms from Dapr metadata (`ttlInSeconds`; -1 or absent: none). */
function ttl(metadata: Record<string, string>, field: string): number | undefined {
  const v = metadata.ttlInSeconds;
  if (v === undefined || v === '-1') return undefined;
  return seconds(v, field) * 1000;
}

/** An item's `options` (concurrency first-write | last-write, consistency taken and ignored). */
function concurrency(v: unknown, at: string): 'first-write' | 'last-write' | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw malformed(`${at}.options must be an object`);
  only(v, ['concurrency', 'consistency'], `${at}.options`);
  if (v.consistency !== undefined && v.consistency !== 'strong' && v.consistency !== 'eventual')
    throw malformed(`${at}.options.consistency must be strong or eventual`);
  if (v.concurrency === undefined) return undefined;
  if (v.concurrency !== 'first-write' && v.concurrency !== 'last-write')
    throw malformed(`${at}.options.concurrency must be first-write or last-write`);
  return v.concurrency;
}

/** An ETag as given: a string, or `{value}` as the JS SDK's transaction types have it. */
function etagOf(v: unknown, at: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (isObject(v) && Object.keys(v).length === 1 && typeof v.value === 'string')
    return v.value === '' ? undefined : v.value;
  throw malformed(`${at}.etag must be a string`);
}

/** The condition of a write: the etag unless last-write; absent-only for first-write without one. */
function condition(
  etag: unknown,
  mode: 'first-write' | 'last-write' | undefined,
  at: string,
): { ifVersion?: string; ifAbsent?: boolean } {
  const given = etagOf(etag, at);
  if (mode === 'last-write') return {};
  if (given !== undefined) return { ifVersion: given };
  return mode === 'first-write' ? { ifAbsent: true } : {};
}

/** One saved item (`{key, value, etag?, metadata?, options?}`) as a put. */
function putFrom(item: unknown, at: string, query: Record<string, string>): Put {
  if (!isObject(item)) throw malformed(`${at} must be an object {key, value}`);
  only(item, ['key', 'value', 'etag', 'metadata', 'options'], at);
  const key = stateKey(item.key, `${at}.key`);
  if (item.value === undefined) throw malformed(`${at}.value is required`);
  const metadata = { ...strings(item.metadata, `${at}.metadata`), ...query };
  const lease = ttl(metadata, `${at}.metadata.ttlInSeconds`);
  return {
    op: 'put',
    key,
    value: item.value,
    ...(lease === undefined ? {} : { ttl: lease }),
    ...condition(item.etag, concurrency(item.options, at), at),
  };
}

/** One transaction operation (`{operation: upsert|delete, request: {...}}`). */
function operationFrom(v: unknown, at: string, query: Record<string, string>): Put | Del {
  if (!isObject(v)) throw malformed(`${at} must be an object {operation, request}`);
  only(v, ['operation', 'request'], at);
  if (v.operation === 'upsert') return putFrom(v.request, `${at}.request`, query);
  if (v.operation !== 'delete') throw malformed(`${at}.operation must be upsert or delete`);
  const r = v.request;
  if (!isObject(r)) throw malformed(`${at}.request must be an object {key}`);
  only(r, ['key', 'etag', 'metadata', 'options'], `${at}.request`);
  strings(r.metadata, `${at}.request.metadata`);
  const { ifVersion } = condition(r.etag, concurrency(r.options, `${at}.request`), `${at}.request`);
  return {
    op: 'delete',
    key: stateKey(r.key, `${at}.request.key`),
    ...(ifVersion ? { ifVersion } : {}),
  };
}

/** Registers `/v1.0/state/{store}...` on `app` over `store`, in the app's database. */
export function registerState(
  app: FastifyInstance,
  store: Store | undefined,
  database: string,
): void {
  const open = (req: FastifyRequest): { store: Store; ns: Required<Namespace> } => {
    if (!store) throw notConfigured('ERR_STATE_STORE_NOT_CONFIGURED', 'a store');
    const name = (req.params as { store: string }).store;
    return { store, ns: { database, table: componentName(name, 'state store') } };
  };
  const empty = (reply: FastifyReply) => reply.code(204).send();

  app.post('/v1.0/state/:store', async (req, reply) => {
    const { store: s, ns } = open(req);
    const query = queryMetadata(req.query);
    const puts = array(req.body, 'the body').map((item, i) => putFrom(item, `[${i}]`, query));
    const putOne = (p: Put) =>
      s.put(p.key, p.value, {
        ...ns,
        ...(p.ttl === undefined ? {} : { ttl: p.ttl }),
        ...(p.ifVersion === undefined ? {} : { ifVersion: p.ifVersion }),
        ...(p.ifAbsent ? { ifAbsent: true } : {}),
      });
    await asDapr('ERR_STATE_SAVE', async () => {
      const [one] = puts;
      if (puts.length === 1 && one) await putOne(one);
      else if (puts.length > 1)
        await s.transact(puts, ns).catch(async (err: unknown) => {
          // An engine without multi-key transactions (NATS KV): one put after another, as Dapr's
          // bulk save is not atomic either.
          if (!(err instanceof MicroError && err.code === 501)) throw err;
          for (const p of puts) await putOne(p);
        });
    });
    return empty(reply);
  });

  const bulk = async (req: FastifyRequest) => {
    const { store: s, ns } = open(req);
    queryMetadata(req.query);
    const body = req.body;
    if (!isObject(body)) throw malformed('the body must be {"keys": [...]}');
    only(body, ['keys', 'parallelism', 'metadata'], 'the body');
    if (body.parallelism !== undefined && typeof body.parallelism !== 'number')
      throw malformed('parallelism must be a number');
    strings(body.metadata, 'metadata');
    const keys = array(body.keys, 'keys').map((k, i) => stateKey(k, `keys[${i}]`));
    const entries = await asDapr('ERR_STATE_BULK_GET', () => s.getMany(keys, ns));
    return keys.map((key, i) => {
      const e = entries[i];
      return e ? { key, data: e.value, etag: e.version } : { key };
    });
  };
  app.post('/v1.0/state/:store/bulk', bulk);
  app.put('/v1.0/state/:store/bulk', bulk);

  const transaction = async (req: FastifyRequest, reply: FastifyReply) => {
    const { store: s, ns } = open(req);
    const query = queryMetadata(req.query);
    const body = req.body;
    if (!isObject(body)) throw malformed('the body must be {"operations": [...]}');
    only(body, ['operations', 'metadata'], 'the body');
    const meta = { ...strings(body.metadata, 'metadata'), ...query };
    const ops = array(body.operations, 'operations').map((o, i) =>
      operationFrom(o, `operations[${i}]`, meta),
    );
    if (ops.length > 0) await asDapr('ERR_STATE_TRANSACTION', () => s.transact(ops, ns));
    return empty(reply);
  };
  app.post('/v1.0/state/:store/transaction', transaction);
  app.put('/v1.0/state/:store/transaction', transaction);

  app.get('/v1.0/state/:store/:key', async (req, reply) => {
    const { store: s, ns } = open(req);
    queryMetadata(req.query);
    const key = stateKey((req.params as { key: string }).key, 'the key');
    const entry = await asDapr('ERR_STATE_GET', () => s.get(key, ns));
    if (!entry) return empty(reply);
    return reply
      .header('etag', entry.version)
      .type('application/json')
      .send(JSON.stringify(entry.value));
  });

  app.delete('/v1.0/state/:store/:key', async (req, reply) => {
    const { store: s, ns } = open(req);
    const q = req.query as Record<string, unknown>;
    queryMetadata(q);
    const mode = concurrency(
      { concurrency: q.concurrency, consistency: q.consistency },
      'the query',
    );
    const key = stateKey((req.params as { key: string }).key, 'the key');
    const { ifVersion } = condition(req.headers['if-match'], mode, 'If-Match');
    await asDapr('ERR_STATE_DELETE', () =>
      s.delete(key, { ...ns, ...(ifVersion ? { ifVersion } : {}) }),
    );
    return empty(reply);
  });
}
