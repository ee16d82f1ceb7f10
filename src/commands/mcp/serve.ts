// `micro mcp serve`: the services in the registry as MCP tools, for an agent that starts micro
// itself (stdio: Claude Desktop, an editor) or one that connects over Streamable HTTP (--http).
//
// Guarantees: over stdio nothing but the protocol is written to stdout (what micro has to say goes
// to stderr), and tool calls carry the CLI's token (MICRO_AUTH_TOKEN or `micro login`): the agent
// acts as the user who started it. Over --http each session's calls carry that session's own token
// (never the CLI's), and with MICRO_AUTH=on a request needs a token the rules know, as at the
// gateway. The tool list follows the registry; every tool call is reported to the control plane's
// audit service. It ends when the agent closes stdin (stdio), or on SIGINT/SIGTERM. Limits: those
// of McpOptions (rate, timeout, result size) and of the HTTP listener (sessions, 4 MiB bodies).
import { badRequest, conflict } from '../../runtime/errors.ts';
import type { Args } from '../shared/command.ts';
import { mcpOptions, warn, type ExposureFlags } from './open.ts';

/** The flags of `micro mcp serve`. */
export interface ServeFlags extends ExposureFlags {
  http?: string;
}

/** Runs the MCP server until the agent goes away or a signal comes. */
export async function serveMcp(args: Args<ServeFlags>): Promise<void> {
  const options = await mcpOptions(args);
  const http = args.http;
  if (http !== undefined) {
    const { parseAddress } = await import('../../runtime/transport/address.ts');
    try {
      parseAddress(http);
    } catch (err) {
      throw badRequest('micro.cli', `--http: ${(err as Error).message} (e.g. 127.0.0.1:8090)`);
    }
  }
  const [
    { openRegistry, openTransport, tokenFor },
    { createClient },
    { createSelector },
    { bearerOptions },
    { mcpFromEnv },
    { VERSION },
    { untilSignal },
    { resiliencyPolicy },
    { edgeAuthFromEnv },
  ] = await Promise.all([
    import('../shared/connect.ts'),
    import('../../runtime/client/rpc-client.ts'),
    import('../../runtime/selector/cache.ts'),
    import('../shared/auth-token.ts'),
    import('../../proxy/mcp/index.ts'),
    import('../shared/version.ts'),
    import('../shared/signals.ts'),
    import('../shared/resiliency.ts'),
    import('../../proxy/auth/env.ts'),
  ]);
  const policy = await resiliencyPolicy(undefined);
  const token = await tokenFor(args, {});
  const registry = await openRegistry(args, { token: token ?? false });
  // Over HTTP with MICRO_AUTH=on, as at the gateway: tokens verified here, tools listed per
  // account, and calls carry this edge's own token (MICRO_AUTH_ID/SECRET) with the caller's.
  const auth =
    http === undefined
      ? undefined
      : edgeAuthFromEnv(process.env, {
          registry,
          id: 'micro.mcp',
          onError: (e) => warn(`auth: ${e.message}`),
        });
  const wrappers =
    http === undefined
      ? token && bearerOptions(async () => token)
      : auth && {
          wrappers: [auth.enforcement.wrapCall],
          streamWrappers: [auth.enforcement.wrapStream],
          publishWrappers: [auth.enforcement.wrapPublish],
        };
  // A long-lived client whose selector watches the registry, as the gateway's does; the services
  // called (and the audit, when auth is off) see it as `micro-mcp`.
  const client = createClient({
    registry,
    transport: await openTransport(args),
    selector: createSelector({ registry, policy }),
    policy,
    name: 'micro-mcp',
    ...wrappers,
  });
  // Over stdio, the CLI's account and its rules: the agent sees and calls what the user may.
  const identity =
    http === undefined
      ? await (await import('./identity.ts')).cliIdentity(client, token, warn)
      : { close: () => undefined };
  const verifier = auth?.verifier ?? identity.verifier;
  const stack = mcpFromEnv({
    registry,
    client,
    version: VERSION,
    options,
    // The MCP layer names itself (`micro mcp: ...`): its lines go to stderr as they are.
    logger: { warn: (m: string) => void process.stderr.write(`${m}\n`) },
    ...(verifier && { verifier }),
  });
  // The agent gets an empty list while the registry does not answer: say so where it is seen.
  registry
    .listServices()
    .catch((err: Error) => warn(`${err.message}; the tools appear once the registry answers`));
  const signalled = untilSignal();
  try {
    if (http !== undefined) {
      const { listenMcpHttp } = await import('../../proxy/mcp/http.ts');
      const server = await listenMcpHttp(stack, http, {
        ...(auth && { verifier: auth.verifier }),
      }).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EADDRINUSE'
          ? conflict('micro.cli', `cannot serve MCP: ${http} is in use; choose another with --http`)
          : err;
      });
      process.stdout.write(
        `micro mcp listening on http://${server.address}/mcp (registry: ${registry.name} at ${registry.address})\nPress Ctrl-C to stop.\n`,
      );
      await signalled;
      await server.close();
    } else {
      const { serveMcpStdio } = await import('../../proxy/mcp/stdio.ts');
      const stdio = await serveMcpStdio(stack, identity.caller ? { caller: identity.caller } : {});
      await Promise.race([stdio.closed, signalled]);
      await stdio.close();
    }
  } finally {
    await stack.close();
    identity.close();
    await auth?.close();
    await client.close();
    await registry.close();
  }
}
