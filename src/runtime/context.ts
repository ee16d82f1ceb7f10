import { timerDelay } from './deadline.ts';
import { timeout as timeoutError, MicroError } from './errors.ts';
import type { Metadata } from './metadata.ts';
import type { Caller } from './server/guard.ts';

/** Options for calls made from inside a handler; see CallOptions in client/client.ts. */
export interface ContextCallOptions {
  /** Milliseconds for the call, within what is left of this request's deadline. */
  timeout?: number;
  /** Metadata sent with the call, over this request's. */
  metadata?: Metadata;
  [key: string]: unknown;
}

/** What a handler or subscriber learns about the request it is serving. */
export interface Context {
  /** The service being called (this one). */
  readonly service: string;
  /** `Handler.Method`, or the topic for a subscriber. */
  readonly endpoint: string;
  /** The caller's metadata. */
  readonly metadata: Metadata;
  /** The caller's service name, when it is a micro service. */
  readonly from: string | undefined;
  /** When the caller stops waiting, in epoch milliseconds; Infinity when it set no deadline. */
  readonly deadline: number;
  /** Aborts when the deadline passes or the caller goes away. */
  readonly signal: AbortSignal;
  /** `host:port` of the caller. */
  readonly remote: string;
  /** Who is calling, as the server's guard established it; undefined with no guard or no token. */
  readonly caller?: Caller | undefined;
  /** Metadata to send back with the response. */
  readonly responseMetadata: Metadata;
  /** Calls another service; the deadline and metadata of this request cascade to it. */
  call<T = unknown>(
    service: string,
    endpoint: string,
    request: unknown,
    options?: ContextCallOptions,
  ): Promise<T>;
  /** Publishes a message, carrying this request's metadata. */
  publish(topic: string, message: unknown, options?: { metadata?: Metadata }): Promise<void>;
}

/** The outbound side a context uses for ctx.call and ctx.publish. */
export interface ContextOutlet {
  /** Makes ctx.call's call (a client's call with `parent` set). */
  call(
    service: string,
    endpoint: string,
    request: unknown,
    options: ContextCallOptions & { parent: Context },
  ): Promise<unknown>;
  /** Makes ctx.publish's publish (a client's publish with `parent` set). */
  publish(
    topic: string,
    message: unknown,
    options: { metadata?: Metadata; parent: Context },
  ): Promise<void>;
}

/** The server's Context; the abort signal and its timer are made only if a handler reads them. */
export class RequestContext implements Context {
  readonly service: string;
  readonly endpoint: string;
  readonly metadata: Metadata;
  readonly deadline: number;
  readonly remote: string;
  /** Set by the server from its guard's answer, before the handler runs. */
  caller: Caller | undefined = undefined;
  readonly #outlet: ContextOutlet | undefined;
  #response: Metadata | undefined;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #cancelled: MicroError | undefined;

  constructor(
    service: string,
    endpoint: string,
    metadata: Metadata,
    deadline: number,
    remote: string,
    outlet?: ContextOutlet,
  ) {
    this.service = service;
    this.endpoint = endpoint;
    this.metadata = metadata;
    this.deadline = deadline;
    this.remote = remote;
    this.#outlet = outlet;
  }

  get from(): string | undefined {
    return this.metadata['micro-from-service'];
  }

  get responseMetadata(): Metadata {
    return (this.#response ??= {});
  }

  /** The response metadata if any was set, without creating it. */
  get responseMetadataIfAny(): Metadata | undefined {
    return this.#response;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      const c = (this.#controller = new AbortController());
      if (this.#cancelled) c.abort(this.#cancelled);
      else if (Number.isFinite(this.deadline)) {
        const left = this.deadline - Date.now();
        const reason = timeoutError(this.service, `deadline of ${this.endpoint} passed`);
        if (left <= 0) c.abort(reason);
        else {
          this.#timer = setTimeout(() => c.abort(reason), timerDelay(left));
          this.#timer.unref();
        }
      }
    }
    return this.#controller.signal;
  }

  /** Aborts the signal: the caller went away. */
  cancel(reason: MicroError): void {
    this.#cancelled ??= reason;
    this.#controller?.abort(reason);
  }

  /** Releases the deadline timer once the request is answered. */
  finish(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }

  call<T>(
    service: string,
    endpoint: string,
    request: unknown,
    options: ContextCallOptions = {},
  ): Promise<T> {
    if (!this.#outlet) return Promise.reject(new Error('this context has no client to call with'));
    return this.#outlet.call(service, endpoint, request, {
      ...options,
      parent: this,
    }) as Promise<T>;
  }

  publish(topic: string, message: unknown, options: { metadata?: Metadata } = {}): Promise<void> {
    if (!this.#outlet)
      return Promise.reject(new Error('this context has no broker to publish with'));
    return this.#outlet.publish(topic, message, { ...options, parent: this });
  }
}
