import type { Registry } from '../../registry/registry.ts';

/** A message as brokers carry it: header and encoded body. */
export interface BrokerMessage {
  /** `micro-topic`, `content-type`, `micro-from-service` and the metadata, names in lower case. */
  header: Record<string, string>;
  /** The encoded body. */
  body: Uint8Array;
}

/** One delivery to a subscriber. */
export interface BrokerEvent {
  /** The topic the message was published to. */
  topic: string;
  /** The message as published. */
  message: BrokerMessage;
  /** Acknowledges the message, for brokers that redeliver what is not acknowledged. */
  ack(): Promise<void>;
}

/** A subscriber's function; a rejection counts as a failed delivery. */
export type BrokerHandler = (event: BrokerEvent) => void | Promise<void>;

/**
 * A durable subscription's own options, passed as given to the broker that carries it (a service's
 * `durable` broker): the platform's events take `group`, `start`, `ackTimeout`, `maxDeliveries`,
 * `deadLetter` and `maxInFlight` (EventSubscribeOptions).
 */
export interface DurableOptions {
  /** The consumer group (default: the queue, else the service's name). */
  readonly group?: string;
  /** Any other option of the durable broker. */
  readonly [option: string]: unknown;
}

/** Options for a subscription. */
export interface SubscribeOptions {
  /** Subscribers sharing a queue name split the messages: each goes to one of them. */
  queue?: string;
  /** Acknowledge when the handler resolves (default true). */
  autoAck?: boolean;
  /** For a durable broker: the subscription's own options. Other brokers ignore them. */
  durable?: DurableOptions;
}

/** Options for a publish. */
export interface BrokerPublishOptions {
  /** Idempotency key, for a durable broker: a publish retried with the same key is stored once. Other brokers ignore it. */
  key?: string;
}

/** A live subscription. */
export interface Subscription {
  /** The topic subscribed to. */
  readonly topic: string;
  /** The queue group, when the subscription is in one. */
  readonly queue: string | undefined;
  /** Stops the deliveries to this subscription. */
  unsubscribe(): Promise<void>;
}

/** Publish/subscribe messaging between services. */
export interface Broker {
  /** The implementation's name, as used in the brokers table. */
  readonly name: string;
  /** Where the broker is or listens, once connected. */
  readonly address: string;
  /** Connects to the engine, or (http) starts listening for deliveries. */
  connect(): Promise<void>;
  /** Ends the subscriptions and closes the connection. */
  disconnect(): Promise<void>;
  /** Sends a message to the topic's subscribers (one of each queue group). */
  publish(topic: string, message: BrokerMessage, options?: BrokerPublishOptions): Promise<void>;
  /** Calls handler for each message on the topic; resolves once the subscription is live. */
  subscribe(
    topic: string,
    handler: BrokerHandler,
    options?: SubscribeOptions,
  ): Promise<Subscription>;
}

/** What every entry of the brokers table is given. */
export interface BrokerFactoryOptions {
  /** `--broker-address`: the engine's `host:port`, or where the http broker listens. */
  address?: string;
  /** The service's registry, for brokers that find subscribers through it (http). */
  registry: Registry;
}

/** Makes a broker from the table's options. */
export type BrokerFactory = (options: BrokerFactoryOptions) => Broker;

/** Stable error codes of brokers. */
export const BrokerErrors = {
  /** The broker is not connected, or its engine (NATS, Redis) did not answer a connect. */
  notConnected: 'MICRO_ERR_BROKER_NOT_CONNECTED',
  /** A topic no broker can carry: empty, or with spaces. */
  invalidTopic: 'MICRO_ERR_BROKER_INVALID_TOPIC',
} as const;

/** One of the codes in BrokerErrors. */
export type BrokerErrorCode = (typeof BrokerErrors)[keyof typeof BrokerErrors];

/** A broker failure with a stable code; the message starts with the code and says what to do. */
export class BrokerError extends Error {
  /** What went wrong, to test instead of the message. */
  readonly code: BrokerErrorCode;
  /** `message` says what happened and what to do; it is prefixed with the code. */
  constructor(code: BrokerErrorCode, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = 'BrokerError';
    this.code = code;
  }
}

/** True when err carries the broker error code (a BrokerError, or any error with that `.code`). */
export function isBrokerError(err: unknown, code: BrokerErrorCode): boolean {
  return (err as { code?: unknown } | null)?.code === code;
}

/** Throws on a topic no broker can carry. */
export function checkTopic(topic: string): void {
  if (typeof topic !== 'string' || topic === '' || /\s/.test(topic)) {
    throw new BrokerError(
      BrokerErrors.invalidTopic,
      `topic must be a non-empty string without spaces, got "${String(topic)}"`,
    );
  }
}
