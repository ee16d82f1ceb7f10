/**
 * One attempt of a call (pick a node, call it, judge the answer), and the plan of a hedged call:
 * the parts of the client's call loop (rpc-client.ts) that hedging runs several of at once.
 */
import type { Node } from '../../registry/registry.ts';
import type { Codec, CodecTable } from '../codec/index.ts';
import { MAX_TIMEOUT, timerDelay } from '../deadline.ts';
import { MicroError, replyError, toMicroError } from '../errors.ts';
import { metadataFromHeader } from '../metadata.ts';
import { exceptNodes, type Attempt, type HedgePlan, type Target } from '../resilience/hedge.ts';
import type { HedgeOptions } from '../resilience/policy.ts';
import type { Latencies } from '../resilience/latency.ts';
import type { Done, Selector } from '../selector/selector.ts';
import type { Message, Transport } from '../transport/transport.ts';
import type { CallOptions, CallRequest, CallResponse } from './client.ts';

const ID = 'micro.client';

/** A deadline as sent in Micro-Timeout: whole milliseconds, at most MAX_TIMEOUT (Infinity included). */
export const wireTimeout = (ms: number): string => String(Math.ceil(Math.min(ms, MAX_TIMEOUT)));

/** True for failures that say the node itself is unwell, so the selector should avoid it. */
export const nodeFault = (err: MicroError): boolean =>
  err.id === ID || err.code === 503 || err.code === 502;

/** What an attempt needs of its client. */
export interface AttemptContext {
  /** The client's selector. */
  selector: Selector;
  /** Picks the node of a call (its options' node or address, else the selector's). */
  pick(service: string, options: CallOptions): Promise<Node>;
  /** The transport that reaches a node. */
  via(node: Node): Transport;
  /** The codecs replies are decoded with. */
  codecs: CodecTable;
  /** Where hedged calls' latencies are kept. */
  latencies: Latencies;
}

/** Makes the attempt function and the hedge planner of a client. */
export function attempts(c: AttemptContext): {
  once: (
    req: CallRequest,
    codec: Codec,
    message: Message,
    deadline: number,
    busy?: Set<string>,
    signal?: AbortSignal,
  ) => Promise<Attempt<CallResponse>>;
  plan: (
    req: CallRequest,
    hedge: { options: HedgeOptions; needsIdempotent: boolean },
    target: Target,
    deadline: number,
  ) => HedgePlan;
} {
  const { selector } = c;
  return {
    /** One attempt; with `busy` not empty (a hedge), on a node not in it; cancelled by `signal`. */
    async once(req, codec, message, deadline, busy, signal) {
      let o = req.options;
      // The attempt's own limit (a policy's attemptTimeout), within the call's.
      const whole = deadline - Date.now();
      const left =
        o.attemptTimeout !== undefined && o.attemptTimeout < whole ? o.attemptTimeout : whole;
      if (busy && busy.size > 0) {
        // A hedge has its own copy of the message, with the time left when it starts.
        message = {
          header: { ...message.header, 'micro-timeout': wireTimeout(left) },
          body: message.body,
        };
        o = { ...o, filters: [...(o.filters ?? []), exceptNodes(busy)] };
      }
      let node: Node | undefined;
      let done: Done | undefined;
      let last: MicroError;
      try {
        node = await c.pick(req.service, o);
        busy?.add(node.id);
        done = selector.start?.(req.service, node);
        const reply = await c.via(node).call(node.address, message, timerDelay(left), signal);
        if (!reply.error) {
          // Decoded before the node is judged, so that Done is told once, of what happened.
          const replyCodec = c.codecs.get(reply.header['content-type']) ?? codec;
          const value = {
            body: replyCodec.decode(reply.body),
            metadata: metadataFromHeader(reply.header),
            node,
          };
          if (done) done();
          else selector.mark(req.service, node);
          return { value };
        }
        last = replyError(reply, ID);
      } catch (err) {
        last = toMicroError(err, ID);
        // Its attempt's time ran out, not the call's: a 504 that the next attempt may retry.
        if (last.code === 408 && last.id === ID && left < whole)
          last = new MicroError(
            ID,
            504,
            `attempt to ${req.service} ${req.endpoint} at ${node?.address ?? '?'} had no answer within ${left} ms`,
          );
      }
      // The selector's done judges the error itself (a 4xx is the node answering); mark is told
      // only of the node's own faults, not of a hedge's loser that was cancelled.
      if (done) done(last);
      else if (node && nodeFault(last) && !signal?.aborted) selector.mark(req.service, node, last);
      return { error: last };
    },
    /** A hedged call's plan: delay from the endpoint's p95; each hedge idempotent and budgeted. */
    plan: (req, hedge, target, deadline) => ({
      options: hedge.options,
      endpoint: req.endpoint,
      ring: c.latencies.of(req.service, req.endpoint),
      allow: () =>
        Date.now() < deadline &&
        (!hedge.needsIdempotent ||
          selector.endpointMetadata?.(req.service, req.endpoint)?.idempotent === 'true') &&
        (!target.budget || target.budget.withdraw()),
    }),
  };
}

/** A call's whole time when only its attempts' is given: every attempt and every wait, at most 5 minutes. */
export function attemptsTotal(o: CallOptions): number {
  const retries = o.retries ?? 2;
  let total = (o.attemptTimeout ?? 0) * (retries + 1);
  for (let n = 1; n <= retries && total < 300_000; n++) total += (o.backoff ?? defaultBackoff)(n);
  return Math.min(total, 300_000);
}

/** The 499 of a call whose signal aborted: the signal's reason when it is a MicroError. */
export function cancelled(req: CallRequest, signal: AbortSignal): MicroError {
  const reason: unknown = signal.reason;
  return reason instanceof MicroError
    ? reason
    : new MicroError(
        ID,
        499,
        `call to ${req.service} ${req.endpoint} was cancelled by its caller`,
        'Client Closed Request',
      );
}

/** The wait before retry `attempt`: none before the first, then 20, 40, 80... ms. */
export const defaultBackoff = (attempt: number): number =>
  attempt <= 1 ? 0 : 10 * 2 ** (attempt - 1);
