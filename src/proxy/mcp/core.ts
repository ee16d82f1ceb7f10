// The MCP core: the registry's services as tools, kept current by the registry's watch (the
// gateway's catalog), and the calls with the controls applied: exposure, the auth rules (when a
// verifier is given), a rate limit per client, and the audit of every call.
//
// Guarantees: the tool list is rebuilt only when the catalog changed, and onChange listeners are
// told (at most once per CHANGE_QUIET ms, once a burst of changes has settled) only when the list
// as an agent sees it changed: names, descriptions, schemas, annotations; not nodes coming and
// going. Every call is audited (ok, error or refused), including refusals by the rate limit, the
// rules and unknown tools. The caller's token goes to the service as `authorization: Bearer
// <token>`. A report to the audit never fails or delays a call. The rate is per account, else
// (anonymous over HTTP) per peer address, else per session. It is taken before the name is looked
// up, so that unknown names (and their audit records) count against it too. Limits: McpOptions
// (rate, timeout, result bounds); tool names looked up at most MAX_NAME characters long.
import type { AuditRecord } from '../../platform/audit/audit.ts';
import { MicroError, notFound, toMicroError } from '../../runtime/errors.ts';
import { createRateLimiter, type RateLimiter } from '../../runtime/resilience/rate-limit.ts';
import { createCatalog } from '../catalog.ts';
import { MCP_ID, errorOf, errorResult, invokeTool } from './invoke.ts';
import {
  MCP_DEFAULTS,
  type McpCaller,
  type McpCore,
  type McpCoreOptions,
  type McpTool,
  type ToolResult,
} from './mcp.ts';
import { buildTools, type ToolList } from './tools.ts';

/** Ms a burst of changes must be quiet before listeners are told (and the least between two tellings). */
export const CHANGE_QUIET = 100;

/** Ms a burst may last before listeners are told anyway. */
const CHANGE_MAX_WAIT = 1000;

/** Characters of a tool name looked up at most: longer is no tool. */
const MAX_NAME = 256;

const positive = (v: number, name: string, zero = false): number => {
  if (!Number.isFinite(v) || v < 0 || (!zero && v === 0))
    throw new TypeError(`${name} must be a ${zero ? 'non-negative' : 'positive'} number, not ${v}`);
  return v;
};

/** What an agent sees of a tool list: changes to anything else are not worth a notification. */
const signature = (tools: readonly McpTool[]): string =>
  JSON.stringify(
    tools.map((t) => [
      t.name,
      t.title,
      t.description,
      t.inputSchema,
      t.outputSchema ?? null,
      t.annotations ?? null,
    ]),
  );

/** A string as audited: control characters as `?` (names and details come from anyone), cut at n. */
const cut = (s: string, n: number): string =>
  (s.length > n ? s.slice(0, n) : s).replace(/\p{Cc}/gu, '?');

/** A field an audit record must have (1 to 256 characters), `or` when the string is empty. */
const field = (s: string, or: string): string => cut(s, 256) || or;

/** Creates the core over a registry and a client; close() stops its watch. */
export function createMcpCore(options: McpCoreOptions): McpCore {
  const o = options;
  // An option given as undefined takes its default, as one left out.
  const rate = positive(o.rate ?? MCP_DEFAULTS.rate, 'rate', true);
  const burst = positive(o.burst ?? Math.max(1, 2 * rate), 'burst');
  const timeout = positive(o.timeout ?? MCP_DEFAULTS.timeout, 'timeout');
  const maxMessages = positive(o.maxMessages ?? MCP_DEFAULTS.maxMessages, 'maxMessages');
  const maxResultBytes = positive(
    o.maxResultBytes ?? MCP_DEFAULTS.maxResultBytes,
    'maxResultBytes',
  );
  const names = o.names ?? MCP_DEFAULTS.names;
  if (names !== 'dotted' && names !== 'safe')
    throw new TypeError(`names must be dotted or safe, not ${String(names)}`);
  const toolOptions = { allow: o.allow, deny: o.deny, names };
  const catalog = o.catalog ?? createCatalog({ registry: o.registry });
  const limiter: RateLimiter | undefined = rate > 0 ? createRateLimiter(rate, burst) : undefined;

  let built: { generation: number; list: ToolList } = {
    generation: -1,
    list: buildTools([], toolOptions),
  };
  const current = (): ToolList => {
    const generation = catalog.generation;
    if (generation !== built.generation)
      built = { generation, list: buildTools(catalog.all(), toolOptions) };
    return built.list;
  };

  // Changes: the catalog's generation is read every CHANGE_QUIET/2 ms while someone listens.
  const listeners = new Set<() => void>();
  let told = signature(current().tools);
  let pending: { since: number; last: number; seen: string } | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let lastGeneration = built.generation;
  // No list is served before the first read (tools/list waits for it): what that read finds is no
  // change to tell anyone of.
  let settled = false;
  void catalog.ready.then(() => {
    settled = true;
    lastGeneration = catalog.generation;
    told = signature(current().tools);
    pending = undefined;
  });
  const tick = (): void => {
    if (!settled) return;
    const now = Date.now();
    if (catalog.generation !== lastGeneration) {
      lastGeneration = catalog.generation;
      const seen = signature(current().tools);
      if (seen === told) pending = undefined;
      else if (seen !== pending?.seen) pending = { since: pending?.since ?? now, last: now, seen };
    }
    if (!pending) return;
    if (now - pending.last < CHANGE_QUIET && now - pending.since < CHANGE_MAX_WAIT) return;
    told = pending.seen;
    pending = undefined;
    for (const l of [...listeners]) {
      try {
        l();
      } catch {
        // a listener's failure is its own
      }
    }
  };

  const allowed = (who: McpCaller, t: McpTool): MicroError | undefined => {
    if (!o.verifier) return undefined;
    try {
      o.verifier.authorize(who.caller, { kind: 'service', name: t.service, action: t.endpoint });
      return undefined;
    } catch (err) {
      return toMicroError(err, MCP_ID);
    }
  };

  const audit = (who: McpCaller, action: string, target: string, r: Outcome, t0: number): void => {
    if (!o.audit) return;
    const labels: Record<string, string> = {
      client: cut(String(who.client ?? 'unknown'), 256),
      session: cut(String(who.session), 256),
      transport: who.transport,
      ...(who.ip !== undefined && { ip: cut(who.ip, 256) }),
    };
    const record: AuditRecord = {
      source: 'mcp',
      actor: field(who.caller?.id ?? '', 'anonymous'),
      action: field(action, '(no name)'),
      // A name that is no tool has no scope.
      target: field(target, 'unknown'),
      result: r.result,
      code: r.code,
      ms: Math.max(0, Date.now() - t0),
      ...(r.detail !== undefined && { detail: cut(r.detail, 300) }),
      labels,
    };
    try {
      o.audit.report(record);
    } catch {
      // an audit never fails the call it records
    }
  };

  const find = (name: string): McpTool | undefined =>
    typeof name === 'string' && name.length <= MAX_NAME ? current().find(name) : undefined;

  const refuse = (
    who: McpCaller,
    name: string,
    tool: McpTool | undefined,
    e: MicroError,
    t0: number,
  ) => {
    audit(who, name, tool?.scope ?? '', { result: 'refused', code: e.code, detail: e.detail }, t0);
    return errorResult(e, tool);
  };

  return {
    list(who) {
      const tools = current().tools;
      return o.verifier ? tools.filter((t) => allowed(who, t) === undefined) : [...tools];
    },
    find,
    async call(name, args, who, callOptions = {}): Promise<ToolResult> {
      const t0 = Date.now();
      const tool = find(name);
      const target = tool?.scope ?? '';
      // An anonymous HTTP client is its address: a new session would otherwise refill its bucket.
      const key = who.caller
        ? `account:${who.caller.id}`
        : who.transport === 'http' && who.ip
          ? `ip:${who.ip}`
          : `session:${who.session}`;
      const wait = limiter?.take(key) ?? 0;
      if (wait > 0) {
        const seconds = Math.max(1, Math.ceil(wait));
        const e = new MicroError(
          MCP_ID,
          429,
          `too many tool calls: at most ${rate} a second (bursts of ${burst}); retry after ${seconds} s`,
          'Too Many Requests',
        );
        e.retryAfter = seconds;
        return refuse(who, String(name), tool, e, t0);
      }
      if (!tool) {
        const e = notFound(MCP_ID, `no tool ${JSON.stringify(cut(String(name), 100))} is exposed`);
        audit(who, String(name), '', { result: 'refused', code: 404, detail: e.detail }, t0);
        throw e;
      }
      const refusal = allowed(who, tool);
      if (refusal) return refuse(who, tool.name, tool, refusal, t0);
      const result = await invokeTool(o.client, tool, args, {
        ...callOptions,
        ...(who.token !== undefined && { metadata: { authorization: `Bearer ${who.token}` } }),
        timeout,
        maxMessages,
        maxResultBytes,
      });
      const err = errorOf(result);
      audit(
        who,
        tool.name,
        target,
        err ? { result: 'error', code: err.code, detail: err.detail } : { result: 'ok', code: 200 },
        t0,
      );
      return result;
    },
    onChange(listener) {
      listeners.add(listener);
      if (!ticker) {
        lastGeneration = catalog.generation;
        told = signature(current().tools);
        ticker = setInterval(tick, CHANGE_QUIET / 2);
        ticker.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && ticker) {
          clearInterval(ticker);
          ticker = undefined;
          pending = undefined;
        }
      };
    },
    ready: catalog.ready,
    async close() {
      if (ticker) clearInterval(ticker);
      ticker = undefined;
      listeners.clear();
      limiter?.close();
      if (!o.catalog) catalog.close();
    },
  };
}

/** How a call ended, as audited. */
interface Outcome {
  result: AuditRecord['result'];
  code: number;
  detail?: string;
}
