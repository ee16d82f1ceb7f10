// What the `micro mcp` commands run on: the MCP options (flags over MICRO_MCP_* variables), and the
// tools core (createMcpCore) over the registry and a client the global options name, with the
// CLI's token (MICRO_AUTH_TOKEN or `micro login`) forwarded to the services it calls.
//
// Guarantees: a bad flag or variable is a 400 naming it before anything is opened; everything
// opened is closed when fn ends, whatever it ends with. Limits: list/call/docs run the core with no
// verifier (the services check the forwarded token themselves), so `list` shows every exposed tool.
import type { Audit } from '../../platform/audit/audit.ts';
import type { EdgeVerifier } from '../../proxy/auth/edge.ts';
import type { McpCaller, McpCore, McpOptions, ToolNames } from '../../proxy/mcp/mcp.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { Registry } from '../../registry/registry.ts';
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

/** Options of createCliCore. */
export interface CliCoreOptions {
  registry: Registry;
  client: Client;
  token?: string;
  audit?: Audit;
  /** Given when auth is on at an HTTP listener: tools listed and called per account. */
  verifier?: EdgeVerifier;
  options: McpOptions;
  /** The session as audited: `stdio` for `micro mcp serve`, `cli` for `micro mcp call`. */
  session: string;
}

/** A core over this registry and client, and the caller the CLI is: its token, `micro-cli`. */
export async function createCliCore(o: CliCoreOptions): Promise<McpCli> {
  const [{ createMcpCore }, { VERSION }] = await Promise.all([
    import('../../proxy/mcp/core.ts'),
    import('../shared/version.ts'),
  ]);
  const core = createMcpCore({
    ...o.options,
    registry: o.registry,
    client: o.client,
    ...(o.audit && { audit: o.audit }),
    ...(o.verifier && { verifier: o.verifier }),
  });
  const who: McpCaller = {
    session: o.session,
    transport: 'stdio',
    client: `micro-cli/${VERSION}`,
    ...(o.token && { token: o.token }),
  };
  return { core, who };
}

/**
 * Runs fn with a core over the registry and client the global options name (its first read of the
 * registry done), then closes it.
 */
export async function withMcpCore<T>(
  args: Args<ExposureFlags>,
  fn: (mcp: McpCli) => Promise<T>,
): Promise<T> {
  const options = await mcpOptions(args);
  const { withConnection, tokenFor } = await import('../shared/connect.ts');
  const token = await tokenFor(args, {});
  return withConnection(
    args,
    async ({ registry, client }) => {
      const mcp = await createCliCore({
        registry,
        client,
        token,
        options,
        session: 'cli',
      });
      try {
        await mcp.core.ready;
        return await fn(mcp);
      } finally {
        await mcp.core.close();
      }
    },
    { token: token ?? false },
  );
}
