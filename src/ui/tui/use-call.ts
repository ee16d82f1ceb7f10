// Calls an endpoint, or streams with it, through the runtime client, and keeps what came back.
import { useCallback, useEffect, useRef, useState } from 'react';
import { traceIdOf } from './use-last-trace.ts';
import {
  toMicroError,
  type Client,
  type ClientStream,
  type ErrorShape,
} from '../../runtime/index.ts';

/** How an endpoint is called: one request and response, or a stream (endpoint metadata `stream`). */
export type CallKind = 'unary' | 'server' | 'client' | 'bidi';

/** What a call has done so far. */
export interface CallState {
  /** idle before the first send; running while waiting; open while a stream takes messages. */
  phase: 'idle' | 'running' | 'open' | 'done' | 'failed';
  /** Milliseconds from the send to the answer, or to the last message so far. */
  ms?: number;
  /** The response of a unary or client-stream call. */
  body?: unknown;
  /** Messages received from a stream, oldest first (the last MAX_MESSAGES). */
  messages: unknown[];
  /** Messages received in all. */
  received: number;
  /** Messages sent on a stream. */
  sent: number;
  /** The node that answered a unary call. */
  node?: string;
  /** When the call that has ended was sent (ms since the epoch): set once it is done or failed. */
  sentAt?: number;
  /** The trace id the response's `traceparent` metadata named, when it had one. */
  traceId?: string;
  error?: ErrorShape;
}

/** The call's state and what can be done with it. */
export interface Call {
  state: CallState;
  /** Sends a request: a unary call, or one message on the stream (opening it first). */
  send(request: unknown): void;
  /** Says no more messages will be sent on a client or bidi stream. */
  end(): void;
}

/** How many received messages are kept for display. */
const MAX_MESSAGES = 500;
const initial: CallState = { phase: 'idle', messages: [], received: 0, sent: 0 };

/** The kind an endpoint advertises in its metadata. */
export function callKind(metadata: Record<string, string> | undefined): CallKind {
  const s = metadata?.stream;
  return s === 'server' || s === 'client' || s === 'bidi' ? s : 'unary';
}

/** Calls service's endpoint as its kind says; a stream left open is closed on unmount. */
export function useCall(client: Client, service: string, endpoint: string, kind: CallKind): Call {
  const [state, setState] = useState<CallState>(initial);
  // The stream opened last, as soon as opening it starts; closed by a new call and on unmount.
  const stream = useRef<Promise<ClientStream | undefined> | undefined>(undefined);
  // The stream takes no more messages (a server stream, or end() was called).
  const ended = useRef(false);
  // Each call is one generation; what an older one receives is dropped.
  const generation = useRef(0);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
      void stream.current?.then((s) => s?.close());
      stream.current = undefined;
    };
  }, []);

  const send = useCallback(
    (request: unknown): void => {
      if (kind !== 'unary' && stream.current && !ended.current) {
        void stream.current.then((s) => s?.send(request));
        setState((s) => ({ ...s, sent: s.sent + 1 }));
        return;
      }
      void stream.current?.then((s) => s?.close());
      stream.current = undefined;
      const gen = ++generation.current;
      const start = performance.now();
      const sentAt = Date.now();
      const update = (f: (s: CallState) => CallState): void => {
        if (alive.current && generation.current === gen) setState(f);
      };
      const failed = (err: unknown): void =>
        update((s) => ({
          ...s,
          phase: 'failed',
          ms: elapsed(start),
          sentAt,
          error: toMicroError(err, 'micro.cli').toJSON(),
        }));
      if (kind === 'unary') {
        setState({ ...initial, phase: 'running' });
        client.request(service, endpoint, request).then(
          (r) =>
            update((s) => ({
              ...s,
              phase: 'done',
              ms: elapsed(start),
              body: r.body,
              node: r.node.address,
              sentAt,
              ...(traceIdOf(r.metadata?.traceparent) && {
                traceId: traceIdOf(r.metadata?.traceparent),
              }),
            })),
          failed,
        );
        return;
      }
      setState({ ...initial, phase: kind === 'server' ? 'running' : 'open', sent: 1 });
      const opening = client.stream(service, endpoint).then(
        (s) => s,
        (err: unknown) => {
          failed(err);
          return undefined;
        },
      );
      stream.current = opening;
      // A server stream takes its one request; client and bidi streams take more until end().
      ended.current = kind === 'server';
      void (async () => {
        const s = await opening;
        if (!s) return;
        if (!alive.current) return s.close();
        try {
          s.send(request);
          if (kind === 'server') s.end();
          for await (const m of s) {
            update((st) => ({
              ...st,
              ms: elapsed(start),
              body: m,
              messages: [...st.messages.slice(1 - MAX_MESSAGES), m],
              received: st.received + 1,
            }));
          }
          update((st) => ({ ...st, phase: 'done', ms: elapsed(start), sentAt }));
        } catch (err) {
          failed(err);
        } finally {
          if (stream.current === opening) stream.current = undefined;
        }
      })();
    },
    [client, service, endpoint, kind],
  );

  const end = useCallback((): void => {
    const open = stream.current;
    if (!open || ended.current) return;
    ended.current = true;
    void open.then((s) => s?.end());
    setState((s) => (s.phase === 'open' ? { ...s, phase: 'running' } : s));
  }, []);

  return { state, send, end };
}

const elapsed = (start: number): number => Math.round((performance.now() - start) * 10) / 10;
