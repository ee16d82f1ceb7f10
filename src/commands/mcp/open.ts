// What the `micro mcp` commands run on: the MCP options (flags over MICRO_MCP_* variables), and the
// tools core (mcpFromEnv) over the registry and a client the global options name, with the CLI's
// token (MICRO_AUTH_TOKEN or `micro login`) forwarded to the services it calls.
//
// Guarantees: a bad flag or variable is a 400 naming it before anything is opened; everything
// opened is closed when fn ends, whatever it ends with. With a token, list/call/docs apply the auth
// rules to its account (identity.ts), as the gateway does to an agent's.
import type { McpCaller, McpCore, McpOptions, ToolNames } from '../../proxy/mcp/mcp.ts';
import { badRequest } from '../../runtime/errors.ts';
import type { Args } from '../shared/command.ts';

const CLI = 'micro.cli';

/** The flags that choose which tools are exposed and how they are named. */
export interface ExposureFlags {
  allow?: string[];
  deny?: string[];
  names?: ToolNames;
  rate?: number;
}

/** The flags' definitions, for the subcommands that take them. */
export const exposureFlags = {
  allow: {
    type: 'string',
    array: true,
    describe: 'expose only tools matching these patterns (* any run) [MICRO_MCP_ALLOW]',
  },
  deny: {
    type: 'string',
    array: true,
    describe: 'never expose tools matching these patterns [MICRO_MCP_DENY]',
  },
  names: {
    choices: ['dotted', 'safe'] as const,
    describe: 'tool names: greeter.Say.Hello, or greeter_Say_Hello [MICRO_MCP_NAMES]',
  },
} as const;

/** The rate flag (serve only: one-shot commands make one call). */
export const rateFlag = {
  rate: {
    type: 'number',
    describe: 'tool calls a second per client (default 20; 0: no limit) [MICRO_MCP_RATE]',
  },
} as const;

/** A pattern list given as repeated flags or comma lists: `--allow a,b --allow c`. */
function patterns(given: string[] | undefined, flag: string): string[] | undefined {
  if (given === undefined) return undefined;
  const list = given.flatMap((p) => String(p).split(',')).map((p) => p.trim());
  if (list.some((p) => p === '' || p.length > 256))
    throw badRequest(CLI, `--${flag} takes patterns of 1 to 256 characters, comma separated`);
  return list;
}

/** MICRO_MCP_* from the environment, then the flags given over them. */
export async function mcpOptions(flags: ExposureFlags): Promise<McpOptions> {
  const allow = patterns(flags.allow, 'allow');
  const deny = patterns(flags.deny, 'deny');
  if (flags.rate !== undefined && !(Number.isInteger(flags.rate) && flags.rate >= 0))
    throw badRequest(CLI, `--rate must be a whole number of calls a second (0: no limit)`);
  const { mcpOptionsFromEnv } = await import('../../proxy/mcp/options.ts');
  const fromEnv = mcpOptionsFromEnv(process.env);
  return {
    ...fromEnv,
    ...(allow && { allow }),
    ...(deny && { deny }),
    ...(flags.names && { names: flags.names }),
    ...(flags.rate !== undefined && { rate: flags.rate }),
  };
}

/** What the one-shot commands get: the core, and who they call as. */
export interface McpCli {
  core: McpCore;
  who: McpCaller;
}

/** Says something on stderr, never stdout (over stdio, stdout is the protocol). */
export const warn = (message: string): void => void process.stderr.write(`micro mcp: ${message}\n`);

/**
 * Runs fn with the core (mcpFromEnv) over the registry and client the global options name, its
 * first read of the registry done, then closes it. Calls carry the CLI's token and are audited as
 * made by `micro-cli/<version>` (reported by `micro-cli` when auth is off). With a token, the tools
 * are those the auth rules allow its account (the audit's actor), as an agent of it would see them.
 */
export async function withMcpCore<T>(
  args: Args<ExposureFlags>,
  fn: (mcp: McpCli) => Promise<T>,
): Promise<T> {
  const mcp = await mcpOptions(args);
  const [
    { withConnection, tokenFor },
    { mcpFromEnv },
    { auditFromEnv },
    { createClient },
    { bearerOptions },
    { VERSION },
    { cliIdentity },
  ] = await Promise.all([
    import('../shared/connect.ts'),
    import('../../proxy/mcp/index.ts'),
    import('../../platform/audit/index.ts'),
    import('../../runtime/client/rpc-client.ts'),
    import('../shared/auth-token.ts'),
    import('../shared/version.ts'),
    import('./identity.ts'),
  ]);
  const token = await tokenFor(args, {});
  return withConnection(
    args,
    async ({ registry, client }) => {
      const reporter = createClient({
        registry,
        name: 'micro-cli',
        ...(token && bearerOptions(async () => token)),
      });
      const audit = auditFromEnv(process.env, { client: reporter, logger: { warn } });
      // The account the token is (the audit's actor) and its rules: the tools it may call.
      const identity = await cliIdentity(reporter, token, warn);
      const { caller, verifier } = identity;
      const stack = mcpFromEnv({
        registry,
        client,
        version: VERSION,
        options: mcp,
        audit,
        ...(verifier && { verifier }),
      });
      const who: McpCaller = {
        session: 'cli',
        transport: 'stdio',
        client: `micro-cli/${VERSION}`,
        ...(token && { token }),
        ...(caller && { caller }),
      };
      try {
        await stack.core.ready;
        // A registry that does not answer is its 503 (with how to start one), not "no tools".
        await registry.listServices();
        return await fn({ core: stack.core, who });
      } finally {
        // The record of a call is sent before the command exits (best effort: never a failure).
        await stack.close();
        identity.close();
        await reporter.close();
      }
    },
    { token: token ?? false },
  );
}
