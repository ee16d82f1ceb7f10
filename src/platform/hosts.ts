// The platform services the control plane hosts, from one table: adding an area is one entry.
// Each entry opens its area's storage in the control plane's data folder (SQLite, micro.db) and
// returns the handlers the control plane serves as an ordinary micro service of that name, so
// `micro call store Store.Get '{"key":"a"}'` works as for any other service.
import type { HostFactory } from './hosting.ts';

/** Every platform service the control plane hosts, by the service name it registers. */
export const platformHosts: Readonly<Record<string, HostFactory>> = {
  store: async (c) => (await import('./store/service.ts')).hostStore(c),
  config: async (c) => (await import('./config/service.ts')).hostConfig(c),
  sync: async (c) => (await import('./sync/service.ts')).hostSync(c),
  db: async (c) => (await import('./db/service.ts')).hostDb(c),
  events: async (c) => (await import('./events/service.ts')).hostEvents(c),
  auth: async (c) => (await import('./auth/service.ts')).hostAuth(c),
  logs: async (c) => (await import('./logs/service.ts')).hostLogs(c),
  trace: async (c) => (await import('./trace/service.ts')).hostTrace(c),
  metrics: async (c) => (await import('./metrics/service.ts')).hostMetrics(c),
  monitor: async (c) => (await import('./monitor/service.ts')).hostMonitor(c),
  audit: async (c) => (await import('./audit/service.ts')).hostAudit(c),
};
