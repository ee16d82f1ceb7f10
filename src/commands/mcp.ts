// `micro mcp serve|list|call|docs|audit`: the services in the registry as tools for AI agents, over
// the Model Context Protocol (docs/mcp.md). serve speaks MCP over stdio (or Streamable HTTP with
// --http); list, call and docs run the same tools core in this process, to see and try what an
// agent would, without one; audit prints the recent tool calls (the `micro.audit` events).
import { badRequest } from '../runtime/errors.ts';
import { defineCommand, defineGroup } from './shared/command.ts';
import { print } from './shared/output.ts';
import { singleValued } from './shared/once.ts';
import { exposureFlags, rateFlag } from './mcp/open.ts';

/** The options taken as lists when repeated. */
const LISTS = ['allow', 'deny'];

const serve = defineCommand({
  command: 'serve',
  describe: 'Serve the tools over stdio (or --http)',
  builder: (y) =>
    y
      .options(exposureFlags)
      .options(rateFlag)
      .option('http', {
        type: 'string',
        describe: 'serve Streamable HTTP at this address (/mcp) instead of stdio [MICRO_HTTP]',
      })
      .example(
        'micro mcp serve',
        'stdio, for an agent that starts micro: {"command":"micro","args":["mcp","serve"]}',
      )
      .example(
        'micro mcp serve --http 127.0.0.1:8090',
        'Streamable HTTP at http://127.0.0.1:8090/mcp',
      )
      .example("micro mcp serve --allow 'greeter.*' --deny '*.Admin.*'", ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    const { serveMcp } = await import('./mcp/serve.ts');
    await serveMcp(args);
  },
});

const list = defineCommand({
  command: 'list',
  describe: 'List the tools an agent sees',
  builder: (y) => y.options(exposureFlags).example('micro mcp list --output json', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    const [{ withMcpCore }, { toolsText }] = await Promise.all([
      import('./mcp/open.ts'),
      import('./mcp/format.ts'),
    ]);
    const tools = await withMcpCore(args, async ({ core, who }) => core.list(who));
    print(args.output, tools, toolsText);
  },
});

const call = defineCommand({
  command: 'call <tool> [json]',
  describe: 'Call a tool as an agent would; print its result',
  builder: (y) =>
    y
      .options(exposureFlags)
      .positional('tool', {
        type: 'string',
        demandOption: true,
        describe: 'the tool: greeter.Say.Hello, or its safe form greeter_Say_Hello',
      })
      .positional('json', {
        type: 'string',
        describe: "the tool's arguments, a JSON object; else stdin when it is not a terminal",
      })
      .parserConfiguration({ 'parse-positional-numbers': false })
      .example('micro mcp call greeter.Say.Hello \'{"name":"Ann"}\'', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    // The `micro call greeter Say.Hello '{...}'` habit: one tool name is service.Endpoint.
    const more = (args as { _?: unknown[] })._?.slice(2) ?? [];
    if (more.length > 0 || /^[A-Z]\w*\.\w+$/.test(args.json ?? ''))
      throw badRequest(
        'micro.cli',
        `a tool is one name, the service and the endpoint joined by a dot: micro mcp call ${args.tool}.${String(args.json ?? '')} '{...}'`,
      );
    const [{ withMcpCore }, { printResult }, { parseJson, readMessage }] = await Promise.all([
      import('./mcp/open.ts'),
      import('./mcp/format.ts'),
      import('./shared/input.ts'),
    ]);
    const input =
      args.json === undefined
        ? await readMessage({})
        : parseJson(args.json, "the tool's arguments");
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw badRequest(
        'micro.cli',
        'a tool\'s arguments are a JSON object, e.g. \'{"name":"Ann"}\'',
      );
    const result = await withMcpCore(args, ({ core, who }) => core.call(args.tool, input, who));
    printResult(result);
  },
});

const docs = defineCommand({
  command: 'docs',
  describe: 'Print every tool as Markdown',
  builder: (y) => y.options(exposureFlags).example('micro mcp docs > TOOLS.md', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    const [{ withMcpCore }, { toolsMarkdown }] = await Promise.all([
      import('./mcp/open.ts'),
      import('../proxy/mcp/docs.ts'),
    ]);
    const tools = await withMcpCore(args, async ({ core, who }) => core.list(who));
    process.stdout.write(toolsMarkdown(tools));
  },
});

const audit = defineCommand({
  command: 'audit',
  describe: 'Print the recent tool calls (micro.audit events)',
  builder: (y) =>
    y
      .option('follow', {
        alias: 'f',
        type: 'boolean',
        describe: 'then print each new call as it comes, until Ctrl-C [MICRO_FOLLOW]',
      })
      .option('limit', {
        type: 'number',
        describe: 'at most this many recent calls (default 50) [MICRO_LIMIT]',
      })
      .example('micro mcp audit --follow', ''),
  handler: async (args) => {
    singleValued(args);
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 1))
      throw badRequest(
        'micro.cli',
        `--limit must be a whole number of at least 1, not ${args.limit}`,
      );
    const { printAudit } = await import('./mcp/audit.ts');
    await printAudit(args);
  },
});

/** `micro mcp ...`: services as tools for AI agents (Model Context Protocol). */
export const mcpCommand = defineGroup({
  command: 'mcp',
  describe: 'Services as tools for AI agents (MCP)',
  subcommands: [serve, list, call, docs, audit],
  missing: 'mcp what? micro mcp serve|list|call|docs|audit',
});
