// What every store contender provides: a get and a put of one small JSON value, from a client
// child process, against a server the bench started (an engine, the control plane, the sidecar).

/** Keys every contender fills before it is measured, and reads and writes in turn. */
export const KEYS = 1000;

/** The key of number i (`bench/k0042`). */
export const keyOf = (i: number): string => `bench/k${String(i % KEYS).padStart(4, '0')}`;

/** The value stored under key number i: an order's worth of JSON, about 80 bytes. */
export const valueOf = (
  i: number,
): { id: number; status: string; total: number; note: string } => ({
  id: i,
  status: 'paid',
  total: 1234.5,
  note: 'left at the door',
});

/** A connected client of one contender. */
export interface StoreClient {
  /** Reads key's value (decoded from JSON); throws when there is none. */
  get(key: string): Promise<unknown>;
  /** Writes value (as JSON) under key. */
  put(key: string, value: unknown): Promise<void>;
  close(): Promise<void>;
}

/** One contender's client side. */
export interface StoreTarget {
  /** Connects to the server at address (`host:port`). */
  connect(address: string): Promise<StoreClient>;
}

/** Throws unless value is what valueOf(i) put under key number i. */
export function checkValue(value: unknown, i: number): void {
  if ((value as { id?: unknown } | undefined)?.id !== i % KEYS)
    throw new Error(`unexpected value ${JSON.stringify(value)} for ${keyOf(i)}`);
}

/** Puts every key's value, 50 at a time, then reads one back: the client is ready to be measured. */
export async function fill(client: StoreClient): Promise<void> {
  for (let i = 0; i < KEYS; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, KEYS - i) }, (_, j) =>
        client.put(keyOf(i + j), valueOf(i + j)),
      ),
    );
  checkValue(await client.get(keyOf(7)), 7);
}
