// The registry's endpoints as MCP tools: one tool per callable endpoint name of a service (across
// its versions, described by the newest version that has it), named, described and given schemas as
// MCP wants them, and only those the exposure rules let through.
//
// Guarantees: names are unique in a list, and stable for a given registry content; a dotted name is
// `[A-Za-z0-9_.-]{1,128}`, a safe one `[A-Za-z0-9_-]{1,64}` (collisions and over-long names get a
// short hash suffix); find() takes either form. Input and output schemas are object schemas that
// MCP clients take (schema.ts).
// Subscribers are never tools; endpoint or service metadata `mcp: 'false'` and the deny patterns
// always hide; given `allow`, only what it matches is shown; otherwise `*.Debug.*` and the
// platform's own services are hidden. Descriptions hold no control or invisible formatting
// characters but line breaks and tabs. Limits: descriptions are cut at MAX_DESCRIPTION characters.
import { createHash } from 'node:crypto';
import { platformHosts } from '../../platform/hosts.ts';
import { compareNatural } from '../../registry/listing.ts';
import type { Endpoint, Service } from '../../registry/registry.ts';
import { streamKindOf } from '../../runtime/server/handler.ts';
import { HIDDEN_BY_DEFAULT, type McpTool, type ToolNames } from './mcp.ts';
import { ownTools } from './output.ts';
import { inputSchemaOf, outputSchemaOf } from './schema.ts';

/** What decides the tools: which are exposed and how they are named. */
export interface ToolOptions {
  /** Patterns of dotted names (`*`: any run of characters); given, only matches are exposed. */
  allow?: readonly string[];
  /** Patterns of dotted names never exposed. */
  deny?: readonly string[];
  /** `dotted` (default) or `safe`. */
  names?: ToolNames;
}

/** The exposed tools of a registry's content, and the lookup by either name form. */
export interface ToolList {
  /** Every exposed tool, ordered by name. */
  readonly tools: readonly McpTool[];
  /** The tool of this name, dotted or safe; undefined when there is none (or it is not exposed). */
  readonly find: (name: string) => McpTool | undefined;
}

/** Characters of a description at most. */
export const MAX_DESCRIPTION = 2000;

/** The services the control plane registers itself, hidden unless `allow` names them. */
export const PLATFORM_SERVICES: ReadonlySet<string> = new Set([
  'registry',
  'runtime',
  ...Object.keys(platformHosts),
]);

// Tools whose arguments are `{value}` around a request that is not an object.
const wrapped = new WeakSet<McpTool>();

/** True when the tool's arguments carry the request as `value` (its schema is not an object's). */
export const isWrapped = (tool: McpTool): boolean => wrapped.has(tool);

/**
 * A pattern (`*`: any run of characters, everything else literal) as a test of whole names. The
 * classic wildcard walk, going back only to the last star: at most name x pattern steps, whatever
 * the pattern (a regular expression of many stars could backtrack for much longer).
 */
export function compilePattern(pattern: string): (name: string) => boolean {
  return (name) => {
    let p = 0;
    let n = 0;
    let star = -1;
    let mark = 0;
    while (n < name.length) {
      if (p < pattern.length && pattern[p] !== '*' && pattern[p] === name[n]) {
        p++;
        n++;
      } else if (p < pattern.length && pattern[p] === '*') {
        star = p++;
        mark = n;
      } else if (star >= 0) {
        p = star + 1;
        n = ++mark;
      } else return false;
    }
    while (p < pattern.length && pattern[p] === '*') p++;
    return p === pattern.length;
  };
}

/** True when any of the patterns matches the name. */
const matcher = (patterns: readonly string[]): ((name: string) => boolean) => {
  const tests = patterns.map(compilePattern);
  return (name) => tests.some((t) => t(name));
};

const hash = (service: string, endpoint: string, length: number): string =>
  createHash('sha256').update(`${service}\n${endpoint}`).digest('hex').slice(0, length);

/** The dotted name before collisions: `service.Handler.Method`, odd characters as `_`. */
export const dottedName = (service: string, endpoint: string): string =>
  `${service}.${endpoint}`.replace(/[^A-Za-z0-9_.-]/g, '_');

/** The safe name before collisions: `service_Handler_Method`. */
export const safeName = (service: string, endpoint: string): string =>
  `${service}.${endpoint}`.replace(/[^A-Za-z0-9_-]/g, '_');

const KIND_WORDS: Record<string, string> = {
  server: ' (server stream)',
  client: ' (client stream)',
  bidi: ' (bidirectional stream)',
};

/**
 * A description as shown: line breaks as `\n`, and no other control or invisible formatting
 * character (terminal escapes; right-to-left overrides and zero-width characters that would show
 * the human approving a tool other text than the model reads).
 */
const visible = (text: string): string =>
  text.replace(/\r\n?/g, '\n').replace(/[^\P{C}\n\t]/gu, '');

function describe(service: string, e: Endpoint, kind: string): string {
  const given = e.metadata.description ?? e.request?.description;
  const shown = typeof given === 'string' ? visible(given).trim() : '';
  const text = shown !== '' ? shown : `Calls ${e.name} on ${service}${KIND_WORDS[kind] ?? ''}`;
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
}

/** One candidate tool: the newest record of an endpoint, and whether any version hides it. */
interface Candidate {
  service: string;
  endpoint: Endpoint;
  hidden: boolean;
}

/** The callable endpoints of every service name, each from its newest version. */
function candidates(services: readonly Service[]): Candidate[] {
  const newestFirst = [...services].sort(
    (a, b) => compareNatural(a.name, b.name) || compareNatural(b.version, a.version),
  );
  const byKey = new Map<string, Candidate>();
  for (const s of newestFirst) {
    const serviceOff = s.metadata?.mcp === 'false';
    for (const e of s.endpoints ?? []) {
      if (typeof e?.name !== 'string' || e.name === '') continue;
      const metadata = e.metadata ?? {};
      if (metadata.subscriber === 'true') continue;
      const key = `${s.name}\n${e.name}`;
      const hidden = serviceOff || metadata.mcp === 'false';
      const seen = byKey.get(key);
      if (seen) seen.hidden ||= hidden;
      else byKey.set(key, { service: s.name, endpoint: { ...e, metadata }, hidden });
    }
  }
  return [...byKey.values()];
}

/** The names of the tools, unique: the plain form where it is free, else with a hash suffix. */
function uniqueNames(list: Candidate[], form: ToolNames): string[] {
  const max = form === 'safe' ? 64 : 128;
  const plain = list.map((c) =>
    (form === 'safe' ? safeName : dottedName)(c.service, c.endpoint.name),
  );
  const counts = new Map<string, number>();
  for (const n of plain) counts.set(n, (counts.get(n) ?? 0) + 1);
  const taken = new Set<string>();
  return plain.map((name, i) => {
    const c = list[i] as Candidate;
    if (name.length <= max && counts.get(name) === 1 && !taken.has(name)) {
      taken.add(name);
      return name;
    }
    // Collisions and long names: a suffix from the identity, longer while still taken (bounded).
    for (let length = 6; ; length += 2) {
      const suffix = `_${hash(c.service, c.endpoint.name, length)}`;
      const out = `${name.slice(0, max - suffix.length)}${suffix}`;
      if (!taken.has(out) || length >= 64) {
        taken.add(out);
        return out;
      }
    }
  });
}

/** Builds the tools of a registry's content: exposed ones only, named in the chosen form. */
export function buildTools(services: readonly Service[], options: ToolOptions = {}): ToolList {
  const denied = matcher(options.deny ?? []);
  const allowed = options.allow && options.allow.length > 0 ? matcher(options.allow) : undefined;
  const hiddenByDefault = matcher(HIDDEN_BY_DEFAULT);
  const exposed = (c: Candidate): boolean => {
    const name = `${c.service}.${c.endpoint.name}`;
    if (c.hidden || denied(name)) return false;
    if (allowed) return allowed(name);
    return !PLATFORM_SERVICES.has(c.service) && !hiddenByDefault(name);
  };
  const list = candidates(services)
    .filter(exposed)
    .sort(
      (a, b) =>
        compareNatural(a.service, b.service) || compareNatural(a.endpoint.name, b.endpoint.name),
    );
  const form = options.names ?? 'dotted';
  const names = uniqueNames(list, form);
  const others = uniqueNames(list, form === 'safe' ? 'dotted' : 'safe');
  const tools = list.map((c, i) => toolOf(c, names[i] as string));
  ownTools(tools);
  const byName = new Map<string, McpTool>();
  for (const t of tools) byName.set(t.name, t);
  // The other form finds the same tool, unless it is a tool's own name.
  tools.forEach((t, i) => {
    const other = others[i] as string;
    if (!byName.has(other)) byName.set(other, t);
  });
  return {
    tools: [...tools].sort((a, b) => compareNatural(a.name, b.name)),
    find: (name) => byName.get(name),
  };
}

function toolOf(c: Candidate, name: string): McpTool {
  const e = c.endpoint;
  const kind = streamKindOf(e);
  const [inputSchema, isValue] = inputSchemaOf(e.request, kind);
  const outputSchema = outputSchemaOf(e.response, kind);
  const tool: McpTool = {
    name,
    service: c.service,
    endpoint: e.name,
    title: `${c.service}: ${e.name}`,
    description: describe(c.service, e, kind),
    inputSchema,
    ...(outputSchema && { outputSchema }),
    ...(kind !== 'unary' && { stream: kind }),
    scope: `service:${c.service}:${e.name}`,
    ...(e.metadata.idempotent === 'true' && { annotations: { idempotentHint: true } }),
  };
  if (isValue) wrapped.add(tool);
  return tool;
}
