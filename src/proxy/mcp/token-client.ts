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

/** `client` with the edge's own token (fetched per call: it renews) on every call it makes for itself. */
export function withOwnToken(client: Client, token: () => string | Promise<string>): Client {
  const withAuth = async (o: CallOptions | undefined): Promise<CallOptions> => ({
    ...o,
    metadata: { ...o?.metadata, authorization: `Bearer ${await token()}` },
  });
  return {
    call: async (service, endpoint, request, o) =>
      client.call(service, endpoint, request, await withAuth(o)),
    request: async (service, endpoint, request, o) =>
      client.request(service, endpoint, request, await withAuth(o)),
    stream: async (service, endpoint, o) => client.stream(service, endpoint, await withAuth(o)),
    service: () => {
      throw new TypeError('a token view of a client makes no typed service clients: use call');
    },
    publish: async (topic, message, o) => client.publish(topic, message, await withAuth(o)),
    close: () => Promise.resolve(),
  };
}
