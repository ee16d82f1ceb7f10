// Audit events (`micro.audit`) as the control plane publishes them, for the views' tests: an
// AuditEvent of source mcp with a summary like the audit service's, any field replaced.
import type { AuditEvent } from '../../src/platform/audit/audit.ts';
import type { McpTool } from '../../src/proxy/mcp/mcp.ts';

/** An audited tool call: alice called greeter.Say.Hello, ok in 3 ms, unless `over` says otherwise. */
export function auditEvent(over: Partial<AuditEvent> = {}): AuditEvent {
  const e = {
    source: 'mcp',
    actor: 'alice',
    action: 'greeter.Say.Hello',
    target: 'service:greeter:Say.Hello',
    result: 'ok' as const,
    code: 200,
    ms: 3,
    labels: { client: 'test-agent/1.0', session: 'stdio', transport: 'stdio' },
    reporter: 'micro-mcp',
    ...over,
  };
  return { summary: `${e.source}: ${e.actor} called ${e.action}: ${e.result} in ${e.ms} ms`, ...e };
}

/** A tool as tools.ts makes one, for views given their tools directly. */
export function mcpTool(service: string, endpoint: string, over: Partial<McpTool> = {}): McpTool {
  return {
    name: `${service}.${endpoint}`,
    service,
    endpoint,
    title: `${service}: ${endpoint}`,
    description: `Calls ${endpoint} on ${service}`,
    inputSchema: { type: 'object' },
    scope: `service:${service}:${endpoint}`,
    ...over,
  };
}
