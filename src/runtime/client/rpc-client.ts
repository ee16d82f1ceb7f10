import type { Node, Registry } from '../../registry/registry.ts';
import type { Broker } from '../broker/broker.ts';
import { CodecTable, type Codec } from '../codec/index.ts';
import { brokerFromEnv, clientTlsFromEnv, registryFromEnv, transportFromEnv } from '../defaults.ts';
import { createSelector } from '../selector/cache.ts';
import { timerDelay } from '../deadline.ts';
import { connectOnPublish } from '../broker/index.ts';
import { createHttpTransport } from '../transport/http.ts';
import { nodeTransports } from '../transport/index.ts';
import { createTcpTransport } from '../transport/tcp/index.ts';
import {
  MicroError,
  badRequest,
  isRetryable,
  timeout as timeoutError,
  toMicroError,
} from '../errors.ts';
import { mergeMetadata } from '../metadata.ts';
import { filterVersion } from '../selector/filter.ts';
import type { Done, Selector } from '../selector/selector.ts';
import { targetPolicy, type ResiliencyPolicy } from '../resilience/policy.ts';
import { createBulkheads } from './bulkheads.ts';
import { Targets, hedgeOf, hedged } from '../resilience/hedge.ts';
import { Latencies } from '../resilience/latency.ts';
import {
  attempts,
  attemptsTotal,
  cancelled,
  defaultBackoff,
  nodeFault,
  wireTimeout,
} from './attempt.ts';
import { trackClient, untrackClient } from './open-clients.ts';
import { serviceClient } from './typed.ts';
import {
  TransportError,
  TransportErrors,
  type ClientTlsOptions,
  type Header,
  type Transport,
} from '../transport/transport.ts';
import type {
  CallFunc,
  CallOptions,
  CallRequest,
  CallResponse,
  CallWrapper,
  Client,
  ClientStream,
  PublishFunc,
  PublishOptions,
  PublishWrapper,
  StreamFunc,
  StreamWrapper,
} from './client.ts';

const ID = 'micro.client';

/** Options of the client. */
export interface ClientOptions {
  /** Default: MICRO_BROKER (http through the registry, unless set). */
  broker?: Broker;
  /** Where `durable` publishes go (the platform's events, given by its createService); none by default. */
  durable?: Broker;
  /** Default: MICRO_REGISTRY (micro, the control plane, unless set). */
  registry?: Registry;
  /** Default: MICRO_TRANSPORT (tcp, unless set). */
  transport?: Transport;
  /** Default: the caching selector over the registry. */
  selector?: Selector;
  /** The codecs calls may use (default json, msgpack, bson; json the default). */
  codecs?: CodecTable;
  /** The calling service's name, sent as Micro-From-Service. */
  name?: string;
  /** Defaults for every call. */
  defaults?: CallOptions;
  /**
   * Resiliency per target service: its timeout, retries and backoff are the defaults of calls to
   * it (a call's own options win); its breaker, bulkhead, retry budget and hedging apply to them.
   */
  policy?: ResiliencyPolicy;
  /** Middleware around calls; the first listed is outermost. */
  wrappers?: CallWrapper[];
  /** Middleware around opening streams; the first listed is outermost. */
  streamWrappers?: StreamWrapper[];
  /** Middleware around publishes; the first listed is outermost. */
  publishWrappers?: PublishWrapper[];
  /**
   * TLS for nodes that serve it (node metadata `tls: on`): the CA to trust and, for mutual TLS,
   * the client's certificate (default MICRO_TLS_CA, MICRO_TLS_CERT and MICRO_TLS_KEY).
   */
  tls?: ClientTlsOptions;
}

/** Creates the default client. */
export function createClient(options: ClientOptions = {}): Client {
  const registry = options.registry ?? registryFromEnv();
  const transport = options.transport ?? transportFromEnv();
  // Each node says in its metadata which transport serves it: an app behind a sidecar speaks only
  // HTTP, a node on NATS has a subject for an address, the control plane is on tcp whatever the
  // services use. A node on another transport than the client's is reached through that one.
  const others = new Map<string, Transport>();
  const via = (node: Node): Transport => {
    const t = node.metadata.transport;
    if (transport.name === 'memory') return transport;
    // A node serving TLS is dialed with TLS, trusting options.tls or MICRO_TLS_CA: never in the
    // clear, and never with a TLS transport given for nodes that do not say so (the control plane).
    if (node.metadata.tls === 'on' && (t === 'tcp' || t === 'http' || !t))
      return transport.tls && (!t || t === transport.name || transport.name === 'http')
        ? transport
        : secured(t === 'http' ? 'http' : 'tcp');
    if (!t || t === transport.name) return transport;
    // A tcp port answers HTTP too.
    if (t === 'tcp' && transport.name === 'http') return transport;
    let other = others.get(t);
    if (!other) {
      const make = nodeTransports[t];
      if (!make) return transport;
      other = make();
      others.set(t, other);
    }
    return other;
  };
  /** The TLS transport for nodes serving TLS on a tcp or http port, made at the first. */
  const secured = (t: 'tcp' | 'http'): Transport => {
    let other = others.get(`${t}+tls`);
    if (!other) {
      const tls = options.tls ?? clientTlsFromEnv();
      other = t === 'http' ? createHttpTransport({ tls }) : createTcpTransport({ tls });
      others.set(`${t}+tls`, other);
    }
    return other;
  };
  const selector = options.selector ?? createSelector({ registry, policy: options.policy });
  const codecs = options.codecs ?? new CodecTable();
  const broker = options.broker ?? connectOnPublish(brokerFromEnv(registry));
  const defaults: CallOptions = { timeout: 5000, retries: 2, ...options.defaults };
  /** The defaults of calls to a service: the client's, under its target policy's. */
  const defaultsFor = (service: string): CallOptions => {
    const p = targetPolicy(options.policy, service);
    if (!p) return defaults;
    const d = { ...defaults };
    if (p.timeout !== undefined) d.timeout = p.timeout;
    if (p.retries !== undefined) d.retries = p.retries;
    if (p.backoff !== undefined) d.backoff = p.backoff;
    if (p.attemptTimeout !== undefined) {
      d.attemptTimeout = p.attemptTimeout;
      if (p.timeout === undefined) d.timeout = attemptsTotal(d);
    }
    return d;
  };

  const targets = new Targets(options.policy);

  const codecFor = (contentType: string | undefined): Codec => {
    const c = codecs.get(contentType);
    if (!c)
      throw badRequest(
        ID,
        `no codec for content type ${contentType ?? ''}; use one of ${codecs.types().join(', ')}`,
      );
    return c;
  };

  const header = (service: string, endpoint: string, codec: Codec, o: CallOptions): Header => {
    const h: Header = {
      'micro-service': service,
      'micro-endpoint': endpoint,
      'content-type': codec.contentType,
    };
    if (o.parent) {
      const { 'micro-from-service': _from, ...inherited } = o.parent.metadata;
      mergeMetadata(h, inherited);
    }
    mergeMetadata(h, o.metadata);
    if (options.name) h['micro-from-service'] = options.name;
    return h;
  };

  const pick = async (service: string, o: CallOptions): Promise<Node> => {
    if (o.node) return o.node;
    if (o.address) return { id: o.address, address: o.address, metadata: {} };
    const filters = o.version ? [filterVersion(o.version), ...(o.filters ?? [])] : o.filters;
    const next = await selector.select(service, { filters, strategy: o.strategy });
    return next();
  };

  const budget = (o: CallOptions): number => {
    let ms = o.timeout === undefined || Number.isNaN(o.timeout) ? 5000 : o.timeout;
    if (o.parent && Number.isFinite(o.parent.deadline))
      ms = Math.min(ms, o.parent.deadline - Date.now());
    return ms;
  };

  const { once, plan } = attempts({ selector, pick, via, codecs, latencies: new Latencies() });

  const invoke: CallFunc = async (req: CallRequest): Promise<CallResponse> => {
    const o = req.options;
    const codec = codecFor(o.contentType);
    const ms = budget(o);
    if (ms <= 0)
      throw timeoutError(
        ID,
        `no time left to call ${req.service} ${req.endpoint}: the caller's deadline has passed`,
      );
    const deadline = Date.now() + ms;
    const message = {
      header: header(req.service, req.endpoint, codec, o),
      body: codec.encode(req.body),
    };
    const retries = o.retries ?? 2;
    const target = targets.of(req.service);
    target.budget?.deposit();
    const hedge = hedgeOf(o.hedge, target.hedge, o.node !== undefined || o.address !== undefined);
    let last: MicroError | undefined;
    const { signal } = o;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (signal?.aborted) throw cancelled(req, signal);
      if (attempt > 0) {
        // A retry past the target's budget is not made: the call fails with its last error.
        if (target.budget && !target.budget.withdraw()) break;
        const wait = (o.backoff ?? defaultBackoff)(attempt);
        if (wait > 0)
          await new Promise((r) =>
            setTimeout(r, timerDelay(Math.min(wait, deadline - Date.now()))),
          );
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      message.header['micro-timeout'] = wireTimeout(Math.min(left, o.attemptTimeout ?? left));
      const r = hedge
        ? await hedged(
            (busy, own) =>
              once(
                req,
                codec,
                message,
                deadline,
                busy,
                signal ? AbortSignal.any([own, signal]) : own,
              ),
            plan(req, hedge, target, deadline),
          )
        : await once(req, codec, message, deadline, undefined, signal);
      if (r.error === undefined) return r.value;
      if (signal?.aborted) throw cancelled(req, signal);
      last = r.error;
      // Its own deadline passed, or every node's circuit is open (a retry-after): no retry helps.
      if (!isRetryable(last) || (last.id === ID && (last.code === 408 || last.retryAfter))) break;
    }
    if (!last || (Date.now() >= deadline && last.code !== 408)) {
      last = timeoutError(
        ID,
        `call to ${req.service} ${req.endpoint} timed out after ${ms} ms${last ? `; last error: ${last.detail}` : ''}`,
      );
    }
    throw last;
  };

  const openStream: StreamFunc = async ({ service, endpoint, options: o }) => {
    const opts = { ...defaultsFor(service), ...o };
    const codec = codecFor(opts.contentType);
    const h = header(service, endpoint, codec, opts);
    const ms = o.timeout !== undefined || opts.parent ? budget(opts) : undefined;
    if (ms !== undefined && ms <= 0)
      throw timeoutError(
        ID,
        `no time left to open a stream to ${service} ${endpoint}: the caller's deadline has passed`,
      );
    if (ms !== undefined) h['micro-timeout'] = wireTimeout(ms);
    let last: MicroError | undefined;
    for (let attempt = 0; attempt <= (opts.retries ?? 2); attempt++) {
      let node: Node | undefined;
      let done: Done | undefined;
      try {
        node = await pick(service, opts);
        const picked = node;
        done = selector.start?.(service, node);
        const pipe = await via(node).stream(node.address, { header: h, body: Buffer.alloc(0) });
        // A stream counts as a call until it is open: a long one does not weigh on its node's load.
        done?.();
        done = undefined;
        let timer: NodeJS.Timeout | undefined;
        if (ms !== undefined) {
          timer = setTimeout(
            () =>
              pipe.fail(timeoutError(ID, `stream to ${service} ${endpoint} passed its deadline`)),
            timerDelay(ms),
          );
          void pipe.done.then(() => clearTimeout(timer));
        }
        return {
          send: (m) => pipe.send(codec.encode(m)),
          end: () => pipe.end(),
          close: () =>
            pipe.fail(
              new MicroError(ID, 499, 'stream closed by the caller', 'Client Closed Request'),
            ),
          async *[Symbol.asyncIterator]() {
            try {
              for await (const body of pipe) yield codec.decode(body);
            } catch (err) {
              // A stream connects lazily: a node that refused it is avoided, as for a call.
              if (err instanceof TransportError && err.reason === TransportErrors.connect)
                selector.mark(service, picked, err);
              throw err;
            }
          },
        };
      } catch (err) {
        last = toMicroError(err, ID);
        if (done) done(last);
        else if (node && nodeFault(last)) selector.mark(service, node, last);
        if (!isRetryable(last)) break;
      }
    }
    throw last ?? new MicroError(ID, 503, `cannot open a stream to ${service}`);
  };

  const sendMessage: PublishFunc = async ({ topic, message, options: o }) => {
    const codec = codecFor(o.contentType);
    const h: Header = { 'content-type': codec.contentType, 'micro-topic': topic };
    if (o.parent) mergeMetadata(h, o.parent.metadata);
    mergeMetadata(h, o.metadata);
    if (options.name) h['micro-from-service'] = options.name;
    if (o.durable) {
      if (!options.durable)
        throw badRequest(
          ID,
          `publish to ${topic}: durable needs a durable broker; create the service with the platform's createService (micro-ts)`,
        );
      const key = o.key === undefined ? undefined : { key: o.key };
      return options.durable.publish(topic, { header: h, body: codec.encode(message) }, key);
    }
    await broker.publish(topic, { header: h, body: codec.encode(message) });
  };

  const bulkheads = createBulkheads(options.policy);
  let call: CallFunc = bulkheads.call(invoke);
  for (const w of [...(options.wrappers ?? [])].reverse()) call = w(call);
  let stream: StreamFunc = bulkheads.stream(openStream);
  for (const w of [...(options.streamWrappers ?? [])].reverse()) stream = w(stream);
  let publish: PublishFunc = sendMessage;
  for (const w of [...(options.publishWrappers ?? [])].reverse()) publish = w(publish);

  let closing: Promise<void> | undefined;
  const client: Client = {
    async call<T>(
      service: string,
      endpoint: string,
      request: unknown,
      o?: CallOptions,
    ): Promise<T> {
      return (
        await call({
          service,
          endpoint,
          body: request,
          options: o ? { ...defaultsFor(service), ...o } : defaultsFor(service),
        })
      ).body as T;
    },
    async request<T>(
      service: string,
      endpoint: string,
      request: unknown,
      o?: CallOptions,
    ): Promise<CallResponse<T>> {
      return (await call({
        service,
        endpoint,
        body: request,
        options: { ...defaultsFor(service), ...o },
      })) as CallResponse<T>;
    },
    async stream<Req, Rsp>(
      service: string,
      endpoint: string,
      o: CallOptions = {},
    ): Promise<ClientStream<Req, Rsp>> {
      return (await stream({ service, endpoint, options: o })) as ClientStream<Req, Rsp>;
    },
    service: <T>(name: string) => serviceClient<T>(client, registry, name),
    publish: (topic, message, o: PublishOptions = {}) => publish({ topic, message, options: o }),
    close() {
      closing ??= (async () => {
        untrackClient(client);
        selector.close();
        if (!options.broker) await broker.disconnect();
        if (!options.registry) await registry.close();
        await transport.close();
        for (const other of others.values()) await other.close();
      })();
      return closing;
    },
  };
  if (!options.registry || !options.transport || !options.broker) trackClient(client);
  return client;
}
