// A tool's arguments as the request they stand for: the object itself, its `value` when the
// tool's request is not an object (tools.ts wraps it), or its `messages` for a client or bidi
// stream. Guarantees: what is not an object, nests deeper than MAX_ARGS_DEPTH, or lacks what the
// tool takes is the caller's 400 naming the tool, before anything is sent (deep nesting would
// otherwise be the encoder's 500). Limits: `messages` at most the stream's message bound.
import { badRequest } from '../../runtime/errors.ts';
import { MCP_ID } from './invoke.ts';
import type { McpTool } from './mcp.ts';
import { isWrapped } from './tools.ts';

/** Levels of nesting a tool's arguments may have (the registry's schemas have at most 32). */
export const MAX_ARGS_DEPTH = 64;

/** Throws the caller's 400 when the arguments nest past MAX_ARGS_DEPTH (checked without recursion). */
export function checkDepth(tool: McpTool, args: unknown): void {
  const stack: [unknown, number][] = [[args, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_ARGS_DEPTH)
      throw badRequest(
        MCP_ID,
        `${tool.name}: the arguments are nested deeper than ${MAX_ARGS_DEPTH} levels`,
      );
    for (const x of Object.values(v))
      if (typeof x === 'object' && x !== null) stack.push([x, depth + 1]);
  }
}

/** The request a tool's arguments stand for (unary and server streams). */
export function requestOf(tool: McpTool, args: Record<string, unknown>): unknown {
  if (!isWrapped(tool)) return args;
  if (!('value' in args)) throw badRequest(MCP_ID, `${tool.name} takes its request as "value"`);
  return args.value;
}

/** The messages a client or bidi stream tool is given, bounded. */
export function messagesOf(tool: McpTool, args: Record<string, unknown>, max: number): unknown[] {
  const m = args.messages;
  if (m === undefined) return [];
  if (!Array.isArray(m)) throw badRequest(MCP_ID, `${tool.name}: "messages" must be an array`);
  if (m.length > max)
    throw badRequest(MCP_ID, `${tool.name}: ${m.length} messages; at most ${max} may be sent`);
  return m;
}
