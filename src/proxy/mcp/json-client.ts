// A view of a Client whose calls answer decoded JSON values even when the client's codec passes
// bytes through (the gateway's pass-through JSON codec answers a Buffer): what the platform's
// clients (logs, trace, config, audit) expect when the resources and the audit read through the
// gateway's client. Requests, streams and publishes are the client's own; closing closes nothing.
import type { Client } from '../../runtime/client/client.ts';

/** Bytes as the JSON value they hold; anything else as it is. */
const decoded = (v: unknown): unknown =>
  v instanceof Uint8Array
    ? v.length === 0
      ? undefined
      : JSON.parse(Buffer.from(v).toString('utf8'))
    : v;

/** `client` with its calls' answers decoded from JSON bytes. */
export function jsonClient(client: Client): Client {
  return {
    call: async <T>(...args: Parameters<Client['call']>) =>
      decoded(await client.call(...args)) as T,
    request: (...args) => client.request(...args),
    stream: (...args) => client.stream(...args),
    service: (...args) => client.service(...args),
    publish: (...args) => client.publish(...args),
    close: () => Promise.resolve(),
  };
}
