// `micro mcp docs`: every tool as Markdown (name, description, stream kind, scope, the input and
// output schemas as fenced JSON), in the order given. Guarantees: what a service wrote cannot
// break out of its place: names and scopes sit in code spans, schemas in fences longer than any run
// of backticks they hold, and a description's lines are quoted, so they stay inside its section.
import type { McpTool } from './mcp.ts';

/** The longest run of backticks in the text. */
const longestRun = (text: string): number =>
  Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));

/** An inline code span that holds any text on one line. */
function code(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  const ticks = '`'.repeat(longestRun(flat) + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

/** A fenced JSON block. */
function fenced(value: unknown): string {
  const json = JSON.stringify(value, null, 2);
  const fence = '`'.repeat(Math.max(3, longestRun(json) + 1));
  return `${fence}json\n${json}\n${fence}`;
}

const KINDS: Record<string, string> = {
  server:
    'server stream: the result holds every message sent (`messages`), each also a progress notification',
  client: 'client stream: `messages` are sent in turn, the one answer is the result',
  bidi: 'bidirectional stream: `messages` are sent in turn; the result holds every message answered',
};

/** One tool's section. */
function section(t: McpTool): string {
  const lines = [`## ${code(t.name)}`, ''];
  lines.push(...t.description.split(/\r?\n/).map((l) => (l === '' ? '>' : `> ${l}`)), '');
  lines.push(`- Calls: ${code(t.endpoint)} on ${code(t.service)}`);
  lines.push(`- Kind: ${t.stream ? KINDS[t.stream] : 'unary: one request, one answer'}`);
  lines.push(`- Scope: ${code(t.scope)} (what an auth rule must allow)`);
  if (t.annotations?.idempotentHint) lines.push('- Idempotent: calling it twice does no more');
  lines.push('', 'Input schema:', '', fenced(t.inputSchema), '');
  if (t.outputSchema) lines.push('Output schema:', '', fenced(t.outputSchema), '');
  return lines.join('\n');
}

/** The Markdown of every tool, with a line on how to call them; ends with one newline. */
export function toolsMarkdown(tools: readonly McpTool[]): string {
  const head = [
    '# MCP tools',
    '',
    tools.length === 0
      ? 'No tool is exposed: no service is running, or the exposure rules hide every endpoint.'
      : `${tools.length} tool${tools.length === 1 ? '' : 's'}, one per service endpoint. Call one with \`micro mcp call TOOL '{...}'\`, or from an agent through \`micro mcp serve\`.`,
    '',
  ].join('\n');
  return `${[head, ...tools.map(section)].join('\n').trimEnd()}\n`;
}
