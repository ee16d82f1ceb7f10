// The dashboard's routes to what `micro mcp` shows agents (issue 21): GET /_/api/mcp/tools lists the
// exposed tools (name, service, endpoint, stream kind, scope, description cut to a line) with where
// agents connect, narrowed by ?text= and bounded by ?limit=; GET /_/api/mcp/tool?name= answers one
// tool whole, its input and output schemas included. With auth on, both hold only the tools the
// rules let the logged-in user call: what an agent of theirs would list. The audit events of the
// page come from the platform events stream (events-stream.ts, ?topic=micro.audit). Read only.
import type { McpTool } from '../../proxy/mcp/mcp.ts';
import { notFound } from '../../runtime/index.ts';
import { areaGet, needText, optInt, optText, type AreaRoute } from './area-routes.ts';
import type { Feed } from './feed.ts';
import type { SessionVerifier } from './session.ts';
import { currentUserToken } from './user-client.ts';
import { WEB_ID, type WebMcp } from './web.ts';

/** What the MCP page reads: the tools agents see now, and the URL they connect to over HTTP. */
export interface McpArea {
  list(): Promise<readonly McpTool[]>;
  /** The gateway's /mcp, when the dashboard knows it. */
  url?: string;
}

/**
 * The MCP area over the dashboard's feed: the tools of the services it follows; with a verifier
 * (auth on), those the rules let the user being served call, as `micro mcp` lists them for a caller.
 */
export function mcpArea(mcp: WebMcp, feed: Feed, verifier?: SessionVerifier): McpArea {
  return {
    async list() {
      await feed.ready;
      const all = mcp.tools(feed.services());
      const token = currentUserToken();
      if (!verifier || token === undefined) return all;
      const caller = await verifier.verify(token);
      return all.filter((t) => {
        try {
          verifier.authorize(caller, { kind: 'service', name: t.service, action: t.endpoint });
          return true;
        } catch {
          return false;
        }
      });
    },
    ...(mcp.url && { url: mcp.url }),
  };
}

/** How an agent started on this machine runs `micro mcp` over stdio: its MCP server entry. */
export const MCP_STDIO = { command: 'micro', args: ['mcp', 'serve'] } as const;

/** Tools a page of the list holds at most, and by default. */
export const MAX_TOOLS = 2000;
const DEFAULT_TOOLS = 500;
/** Characters of a description in the list (the tool's own read has it whole). */
const LINE = 300;

/** A tool as the list shows it: no schemas, a description cut to a line. */
export interface ToolRow {
  name: string;
  service: string;
  endpoint: string;
  description: string;
  stream?: McpTool['stream'];
  scope: string;
  /** True when it answers structured content (it has an output schema). */
  structured: boolean;
}

const row = (t: McpTool): ToolRow => ({
  name: t.name,
  service: t.service,
  endpoint: t.endpoint,
  description: t.description.length > LINE ? `${t.description.slice(0, LINE - 1)}…` : t.description,
  ...(t.stream && { stream: t.stream }),
  scope: t.scope,
  structured: t.outputSchema !== undefined,
});

const matches = (t: McpTool, want: string): boolean =>
  [t.name, t.description, t.scope].some((s) => s.toLowerCase().includes(want));

/** The MCP area's routes, by path under /_/api/. */
export const MCP_ROUTES: Readonly<Record<string, AreaRoute<McpArea>>> = {
  'mcp/tools': areaGet({ text: 'text', limit: 'number' }, async (mcp, r) => {
    const want = optText(r, 'text', 200)?.toLowerCase();
    const limit = optInt(r, 'limit', 1, MAX_TOOLS) ?? DEFAULT_TOOLS;
    const all = await mcp.list();
    const found = want ? all.filter((t) => matches(t, want)) : all;
    return {
      tools: found.slice(0, limit).map(row),
      total: found.length,
      ...(mcp.url && { url: mcp.url }),
      stdio: MCP_STDIO,
    };
  }),
  'mcp/tool': areaGet({ name: 'text' }, async (mcp, r) => {
    const name = needText(r, 'name');
    const tool = (await mcp.list()).find((t) => t.name === name);
    if (!tool) throw notFound(WEB_ID, `no tool ${name.slice(0, 200)}: agents do not see it`);
    return tool;
  }),
};
