// Views of a Client whose calls, streams and publishes carry more metadata than they were given:
// one caller's token (`withToken`: `authorization: Bearer <token>`, over the call's own and over the
// token an auth wrapper would add for the client's own account, so that the service called decides
// by the caller's rules), or the edge's own name and token (`asEdge`: for what it reports for
// itself). Closing a view closes nothing: the client is the edge's, shared. A view makes no typed
// service clients (they would be the client's own, without what the view adds).
import type { Metadata } from '../../runtime/metadata.ts';
import type { CallOptions, Client } from '../../runtime/client/client.ts';

/** `client` with `extra()` over each call's metadata. */
function view(client: Client, extra: () => Metadata | Promise<Metadata>): Client {
  const more = async (o: CallOptions | undefined): Promise<CallOptions> => ({
    ...o,
    metadata: { ...o?.metadata, ...(await extra()) },
  });
  return {
    call: async (service, endpoint, request, o) =>
      client.call(service, endpoint, request, await more(o)),
    request: async (service, endpoint, request, o) =>
      client.request(service, endpoint, request, await more(o)),
    stream: async (service, endpoint, o) => client.stream(service, endpoint, await more(o)),
    service: () => {
      throw new TypeError('a view of a client makes no typed service clients: use call');
    },
    publish: async (topic, message, o) => client.publish(topic, message, await more(o)),
    close: () => Promise.resolve(),
  };
}

/** `client` with `token` sent on every call; `client` itself when there is no token. */
export function withToken(client: Client, token: string | undefined): Client {
  if (token === undefined) return client;
  const authorization = { authorization: `Bearer ${token}` };
  return view(client, () => authorization);
}

/**
 * `client` as the edge itself, for the calls it makes for itself (its audit reports): named `from`
 * (`micro-from-service`), with its own token when auth is on (fetched per call: it renews).
 */
export function asEdge(
  client: Client,
  edge: { from: string; token?: () => string | Promise<string> },
): Client {
  const { token } = edge;
  return view(client, async () => ({
    'micro-from-service': edge.from,
    ...(token && { authorization: `Bearer ${await token()}` }),
  }));
}
