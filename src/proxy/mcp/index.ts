// `micro mcp` assembled from the environment, as the gateway and `micro mcp serve` start it: the
// core (tools with the controls of MICRO_MCP_*), the resources, and the audit MICRO_AUDIT names
// (the control plane's `audit` service by default), over the edge's own registry and client.
// Guarantees: a bad MICRO_MCP_* or MICRO_AUDIT is a TypeError naming the variable, thrown before
// anything is started; close() stops the watches and flushes the audit.
import { auditFromEnv } from '../../platform/audit/index.ts';
import type { Audit } from '../../platform/audit/audit.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { EdgeVerifier } from '../auth/edge.ts';
import { createCatalog } from '../catalog.ts';
import { createMcpCore } from './core.ts';
import type { McpOptions, McpParts } from './mcp.ts';
import { jsonClient } from './json-client.ts';
import { mcpOptionsFromEnv } from './options.ts';
import { createMcpResources } from './resources.ts';

export type * from './mcp.ts';
export { createMcpCore, createMcpResources, mcpOptionsFromEnv };
export { toolsMarkdown } from './docs.ts';

/** What mcpFromEnv is given. */
export interface McpFromEnvOptions {
  /** The registry whose services become tools. */
  registry: Registry;
  /** The edge's client: tool calls, resource reads and audit reports go through it. */
  client: Client;
  /** micro's version, as the MCP serverInfo reports it. */
  version: string;
  /** Given when auth is on (the gateway's, or `micro mcp serve`'s). */
  verifier?: EdgeVerifier;
  /** Options given in code or by flags: they win over the environment's. */
  options?: McpOptions;
  /** Where what goes wrong is said (stderr; never stdout). */
  logger?: { warn(message: string): void };
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** An audit of one's own (tests); default the one MICRO_AUDIT names. */
  audit?: Audit;
}

/** The parts an MCP session serves, with the audit, and close. */
export interface McpStack extends McpParts {
  audit: Audit;
  /** Stops the watches and flushes the audit. */
  close(): Promise<void>;
}

/** Options given as undefined are left out, so that the environment's apply. */
const defined = (o: McpOptions = {}): McpOptions =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** The core, resources and audit for an edge, from the environment and the options given. */
export function mcpFromEnv(o: McpFromEnvOptions): McpStack {
  const env = o.env ?? process.env;
  const options = { ...mcpOptionsFromEnv(env), ...defined(o.options) };
  // The platform's clients read decoded values; the gateway's client answers JSON as bytes.
  const reads = jsonClient(o.client);
  const audit =
    o.audit ?? auditFromEnv(env, { client: reads, ...(o.logger && { logger: o.logger }) });
  // One watch of the registry for the tools and the resources.
  const catalog = createCatalog({ registry: o.registry });
  const core = createMcpCore({
    ...options,
    registry: o.registry,
    catalog,
    client: o.client,
    audit,
    ...(o.verifier && { verifier: o.verifier }),
  });
  const resources = createMcpResources({
    catalog,
    client: reads,
    // What the resources show of services is what the tools expose.
    exposed: (service, endpoint) => {
      const t = core.find(`${service}.${endpoint}`);
      return t?.service === service && t.endpoint === endpoint;
    },
    ...(o.verifier && { verifier: o.verifier }),
  });
  return {
    core,
    resources,
    audit,
    version: o.version,
    ...(o.logger && { logger: o.logger }),
    async close() {
      resources.close();
      await core.close();
      catalog.close();
      await audit.close();
    },
  };
}
