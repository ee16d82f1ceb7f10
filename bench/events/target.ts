// What every events contender provides, from a client child process against a server the bench
// started: publish one small JSON event and resolve once the server stored it, and consume a
// topic's events as a consumer group from its oldest, acknowledging each, until a count is reached.

/** An order's worth of JSON, about 100 bytes: what every contender publishes. */
export const eventOf = (
  i: number,
): { id: number; status: string; total: number; note: string; sku: string } => ({
  id: i,
  status: 'paid',
  total: 1234.5,
  note: 'left at the door',
  sku: 'SKU-000123-XL',
});

/** A connected client of one contender. */
export interface EventsClient {
  /** Publishes one event to topic; resolves once the server acknowledged it. */
  publish(topic: string, data: unknown): Promise<void>;
  /**
   * Consumes topic as the group `group` from its oldest event, with at most maxInFlight
   * unacknowledged, acknowledging each; resolves once count events were handled and their
   * acknowledgements sent (rejects past the signal's abort).
   */
  consume(
    topic: string,
    group: string,
    count: number,
    maxInFlight: number,
    signal: AbortSignal,
  ): Promise<void>;
  close(): Promise<void>;
}

/** One contender's client side. */
export interface EventsTarget {
  /** Connects to the server at address (`host:port`). */
  connect(address: string): Promise<EventsClient>;
}
