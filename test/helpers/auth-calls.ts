// Calls a test makes to a control plane with auth on, over the protocol's HTTP mapping as any
// client could: a call with or without a token, the admin's token, accounts, rules and revocation.
import type { TestControlPlane } from './control-plane.ts';

/** What a call answered: its HTTP status and JSON body. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs `body` to `service`'s `endpoint` at `address`, with `authorization: Bearer <token>` when given. */
export async function callWith(
  address: string,
  service: string,
  endpoint: string,
  body: unknown,
  token?: string,
): Promise<Answer> {
  const res = await fetch(`http://${address}/`, {
    method: 'POST',
    headers: {
      'micro-service': service,
      'micro-endpoint': endpoint,
      'content-type': 'application/json',
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

/** The control plane's `auth` service, called as the admin (or anyone for Token). */
export class AuthCalls {
  readonly #plane: TestControlPlane;
  #admin: string | undefined;

  constructor(plane: TestControlPlane) {
    this.#plane = plane;
  }

  /** Calls the auth service; throws unless it answers 200. */
  async call<T = Record<string, unknown>>(
    endpoint: string,
    body: unknown,
    token?: string,
  ): Promise<T> {
    const address = this.#plane.services.auth;
    if (!address) throw new Error('the control plane serves no auth service');
    const a = await callWith(address, 'auth', `Auth.${endpoint}`, body, token);
    if (a.status !== 200)
      throw new Error(`Auth.${endpoint}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body as T;
  }

  /** A token of a password grant. */
  async userToken(id: string, secret: string): Promise<string> {
    const r = await this.call<{ access_token: string }>('Token', {
      grant_type: 'password',
      username: id,
      password: secret,
    });
    return r.access_token;
  }

  /** A token of a client credentials grant. */
  async serviceToken(id: string, secret: string): Promise<string> {
    const r = await this.call<{ access_token: string }>('Token', {
      grant_type: 'client_credentials',
      client_id: id,
      client_secret: secret,
    });
    return r.access_token;
  }

  /** The admin's token (made once). */
  async admin(): Promise<string> {
    const secret = this.#plane.adminSecret;
    if (!secret) throw new Error('the control plane made no admin secret');
    return (this.#admin ??= await this.userToken('admin', secret));
  }

  /** Creates an account with a secret of the test's; returns its token. */
  async account(
    id: string,
    type: 'user' | 'service',
    secret = `${id}-secret-0123456789`,
  ): Promise<string> {
    await this.call('CreateAccount', { id, type, secret }, await this.admin());
    return type === 'user' ? this.userToken(id, secret) : this.serviceToken(id, secret);
  }

  /** Adds a rule (as the admin). */
  async allow(
    who: string,
    resource: { kind: string; name: string; action: string },
    access: 'allow' | 'deny' = 'allow',
    priority = 0,
  ): Promise<void> {
    await this.call('CreateRule', { who, resource, access, priority }, await this.admin());
  }
}

/**
 * Calls fn until it gives `want` (a bounded number of tries, awaiting each answer), and returns the
 * last answer: what a verifier's snapshot refresh takes to reach every service.
 */
export async function until(want: number, fn: () => Promise<Answer>, tries = 100): Promise<Answer> {
  let a = await fn();
  for (let i = 1; i < tries && a.status !== want; i++) {
    await new Promise((r) => setTimeout(r, 100));
    a = await fn();
  }
  return a;
}
