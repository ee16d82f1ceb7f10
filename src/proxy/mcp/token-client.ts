// A view of a Client whose calls, streams and publishes carry one caller's token as
// `authorization: Bearer <token>` metadata (over the call's own, and over the token an auth
// wrapper would add for the client's own account), so that the service called decides by the
// caller's rules. Closing the view closes nothing: the client is the edge's, shared. It makes no
// typed service clients (they would be the client's own, without the token).
import type { CallOptions, Client } from '../../runtime/client/client.ts';

/** `client` with `token` sent on every call; `client` itself when there is no token. */
export function withToken(client: Client, token: string | undefined): Client {
  if (token === undefined) return client;
  const authorization = `Bearer ${token}`;
  const withAuth = (o: CallOptions | undefined): CallOptions => ({
    ...o,
    metadata: { ...o?.metadata, authorization },
  });
  return {
    call: (service, endpoint, request, o) => client.call(service, endpoint, request, withAuth(o)),
    request: (service, endpoint, request, o) =>
      client.request(service, endpoint, request, withAuth(o)),
    stream: (service, endpoint, o) => client.stream(service, endpoint, withAuth(o)),
    // A typed service client would be the client's own, without the token.
    service: () => {
      throw new TypeError('a token view of a client makes no typed service clients: use call');
    },
    publish: (topic, message, o) =>
      client.publish(topic, message, { ...o, metadata: { ...o?.metadata, authorization } }),
    close: () => Promise.resolve(),
  };
}

/**
 * `client` as the edge itself, for the calls it makes for itself (its audit reports): named `from`
 * (`micro-from-service`), with its own token when auth is on (fetched per call: it renews).
 */
export function asEdge(
  client: Client,
  edge: { from: string; token?: () => string | Promise<string> },
): Client {
  const own = async (o: CallOptions | undefined): Promise<CallOptions> => ({
    ...o,
    metadata: {
      ...o?.metadata,
      'micro-from-service': edge.from,
      ...(edge.token && { authorization: `Bearer ${await edge.token()}` }),
    },
  });
  return {
    call: async (service, endpoint, request, o) =>
      client.call(service, endpoint, request, await own(o)),
    request: async (service, endpoint, request, o) =>
      client.request(service, endpoint, request, await own(o)),
    stream: async (service, endpoint, o) => client.stream(service, endpoint, await own(o)),
    service: () => {
      throw new TypeError('an edge view of a client makes no typed service clients: use call');
    },
    publish: async (topic, message, o) => client.publish(topic, message, await own(o)),
    close: () => Promise.resolve(),
  };
}
