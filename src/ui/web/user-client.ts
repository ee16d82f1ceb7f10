// Calls made for a logged-in user of the dashboard carry that user's token: while the dashboard
// serves a request, `asUser` holds the user's access token, and a client made by `userClient` adds
// it to every call, stream and publish it makes (`authorization: Bearer <token>`), so the services
// and the platform areas behind the dashboard apply their rules to the user, not to the dashboard.
// Outside a request (no user), or with auth off, it adds nothing and is the client it wraps.
//
// The token rides an AsyncLocalStorage, so it reaches calls made deep inside the events and db
// areas without every layer passing it on; work started during a request (a re-subscription) keeps
// the token of the request that started it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { serviceClient } from '../../runtime/client/typed.ts';
import type { CallOptions, Client, Registry } from '../../runtime/index.ts';

// The key of the context, not state: each request's token lives in its own async context.
const users = new AsyncLocalStorage<string>();

/** Runs fn with `token` as the user's for every call a user client makes meanwhile. */
export function asUser<T>(token: string, fn: () => T): T {
  return users.run(token, fn);
}

/** The access token of the user the dashboard is serving now, if any. */
export const currentUserToken = (): string | undefined => users.getStore();

/** The options with the user's token as `authorization`, when there is a user. */
function withUser<O extends { metadata?: CallOptions['metadata'] }>(
  options: O | undefined,
): O | undefined {
  const token = users.getStore();
  if (token === undefined) return options;
  const metadata = { ...options?.metadata, authorization: `Bearer ${token}` };
  return { ...(options as O), metadata };
}

/** A client that makes its calls as the user being served (see asUser); close() closes nothing. */
export function userClient(client: Client, registry: Registry): Client {
  const view: Client = {
    call: <T>(service: string, endpoint: string, request: unknown, options?: CallOptions) =>
      client.call<T>(service, endpoint, request, withUser(options)),
    request: <T>(service: string, endpoint: string, request: unknown, options?: CallOptions) =>
      client.request<T>(service, endpoint, request, withUser(options)),
    stream: <Req, Rsp>(service: string, endpoint: string, options?: CallOptions) =>
      client.stream<Req, Rsp>(service, endpoint, withUser(options)),
    service: <T>(name: string) => serviceClient<T>(view, registry, name),
    publish: (topic, message, options) => client.publish(topic, message, withUser(options)),
    // The client belongs to whoever made it.
    close: async () => {},
  };
  return view;
}
