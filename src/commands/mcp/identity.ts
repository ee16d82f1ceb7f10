// Who the `micro mcp` commands act as over stdio and in list/call/docs: the account of the CLI's
// token (Auth.Whoami), and a verifier of the auth rules (its snapshot read with that token), so
// that the tools listed and called are those the rules allow the account, as at the gateway.
// Without a token, or when the control plane cannot say whose it is, nothing: every exposed tool
// is listed, and the services decide each call by the token forwarded (if any).
import type { Caller } from '../../runtime/server/guard.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { EdgeVerifier } from '../../proxy/auth/edge.ts';

/** The account and the rules' verifier; close stops the verifier's polls. */
export interface CliIdentity {
  caller?: Caller;
  verifier?: EdgeVerifier;
  close(): void;
}

/** Ms the first read of the rules may take before the commands go on without them. */
const FIRST_SNAPSHOT = 5000;

/** The identity of `token` through `client` (which sends it). */
export async function cliIdentity(
  client: Client,
  token: string | undefined,
  warn: (message: string) => void,
): Promise<CliIdentity> {
  const none: CliIdentity = { close: () => undefined };
  if (token === undefined) return none;
  const [{ whoami, createMicroAuth }, { createVerifier }] = await Promise.all([
    import('../../platform/auth/client.ts'),
    import('../../platform/auth/verifier.ts'),
  ]);
  const caller = await whoami({ client }).catch(() => undefined);
  if (!caller) return none;
  const verifier = createVerifier({
    source: createMicroAuth({ client }),
    id: 'micro.mcp',
    onError: (err) => warn(`cannot read the auth rules: ${err.message}`),
  });
  let timer: NodeJS.Timeout | undefined;
  const read = await Promise.race([
    verifier.snapshot().then(() => true),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), FIRST_SNAPSHOT))),
  ]);
  clearTimeout(timer);
  if (!read) {
    verifier.close();
    warn('the auth rules could not be read: tools are listed without them');
    return { caller, close: () => undefined };
  }
  return { caller, verifier, close: () => verifier.close() };
}
