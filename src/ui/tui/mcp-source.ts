// The tools the explorer's MCP screen lists: the registry's services kept current by a catalog (one
// watch, as the gateway and `micro mcp` keep theirs), turned into tools as `micro mcp` makes them
// with the same options, and built again only when the catalog changed.
import { createCatalog } from '../../proxy/catalog.ts';
import type { McpOptions, McpTool } from '../../proxy/mcp/mcp.ts';
import { buildTools } from '../../proxy/mcp/tools.ts';
import type { Registry } from '../../runtime/index.ts';
import type { ExplorerMcp } from './McpView.ts';

/** The tools agents see of the registry's services, with these options; close it when done. */
export function explorerMcp(
  registry: Registry,
  options: McpOptions = {},
): ExplorerMcp & { close(): void } {
  const catalog = createCatalog({ registry });
  let built: { generation: number; tools: readonly McpTool[] } = { generation: -1, tools: [] };
  return {
    async tools() {
      await catalog.ready;
      if (built.generation !== catalog.generation)
        built = { generation: catalog.generation, tools: buildTools(catalog.all(), options).tools };
      return built.tools;
    },
    close: () => catalog.close(),
  };
}
