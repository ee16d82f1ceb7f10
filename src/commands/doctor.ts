import { RegistryErrors, type Registry, type Service } from '../registry/registry.ts';
import { servicesOnly } from '../registry/topics.ts';
import type { Client } from '../runtime/client/client.ts';
import type { ErrorShape } from '../runtime/errors.ts';
import { defineCommand } from './shared/command.ts';
import { withConnection } from './shared/connect.ts';
import { CONTROL_PLANE } from './shared/options.ts';
import { print } from './shared/output.ts';
import { probeNodes, probeTimeout, timeoutFlag } from './shared/probe.ts';

/** A node as the doctor saw it. */
interface NodeReport {
  id: string;
  address: string;
  version: string;
  healthy: boolean;
  ms: number;
  error?: ErrorShape;
}

/** A service as the doctor saw it. */
interface ServiceReport {
  name: string;
  registered: boolean;
  versions: string[];
  nodes: NodeReport[];
  endpoint?: { name: string; advertisedBy: string[]; known: string[] };
}

/** Everything the doctor found, and what to do about it. */
interface Report {
  registry: {
    name: string;
    address: string;
    reachable: boolean;
    ms: number;
    services?: number;
    error?: string;
  };
  services: ServiceReport[];
  problems: string[];
  advice: string[];
}

const ms = (n: number): string => `${n} ms`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(
        (row[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

const similar = (name: string, names: string[]): string[] =>
  names.filter((n) => {
    const a = n.toLowerCase();
    const b = name.toLowerCase();
    return a === b || a.includes(b) || b.includes(a) || distance(a, b) <= 2;
  });

/** The flags that point a command at this registry, when it is not the default one. */
const registryFlags = (registry: Registry): string =>
  (registry.name === 'micro' ? '' : ` --registry ${registry.name}`) +
  (registry.name === 'micro' && registry.address !== CONTROL_PLANE
    ? ` --registry-address ${registry.address}`
    : '');

/** Says why calls to a service's nodes fail, from what Debug.Health got. */
function nodeAdvice(s: ServiceReport, registry: Registry): string[] {
  const failing = s.nodes.filter((n) => !n.healthy);
  if (failing.length === 0) return [];
  const out: string[] = [];
  const timedOut = failing.filter((n) => n.error?.code === 408);
  // A node answers errors under its own service name; the client's own failures are micro.client.
  const answeredBy = (n: NodeReport): string | undefined =>
    n.error && !['micro.client', 'micro.cli'].includes(n.error.id) ? n.error.id : undefined;
  const elsewhere = failing.filter((n) => !timedOut.includes(n) && answeredBy(n) !== undefined);
  const unreachable = failing.filter((n) => !timedOut.includes(n) && !elsewhere.includes(n));
  if (unreachable.length > 0) {
    const first = unreachable[0] as NodeReport;
    const record = JSON.stringify({
      name: s.name,
      version: first.version,
      nodes: [{ id: first.id, address: first.address }],
    });
    out.push(
      `${unreachable.length === s.nodes.length ? `${s.name} is registered but no node answers` : `${plural(unreachable.length, 'node')} of ${s.name} ${unreachable.length === 1 ? 'does' : 'do'} not answer`}: ` +
        `a stale registration (the process stopped without deregistering) expires after its TTL; ` +
        `if the process is running, check that ${first.address} is reachable from here. ` +
        `To remove it now: micro deregister service '${record}'${registryFlags(registry)}`,
    );
  }
  if (timedOut.length > 0)
    out.push(
      `${timedOut.map((n) => n.id).join(', ')} accepted the connection but did not answer in time: ` +
        'the process is overloaded or its event loop is blocked; see micro stats ' +
        s.name,
    );
  for (const n of elsewhere) {
    const by = answeredBy(n);
    out.push(
      by === s.name
        ? `${n.id} at ${n.address} answered ${n.error?.code ?? ''} ${n.error?.detail ?? ''}: it is shutting down or failing; see micro logs or micro stats ${s.name}`
        : `${n.address} is now ${by ?? 'another service'}, not ${s.name}: the registration is stale (another process took the port); it expires after its TTL`,
    );
  }
  return out;
}

/** Looks a service up and asks each of its nodes for Debug.Health. */
async function examine(
  name: string,
  endpoint: string | undefined,
  registry: Registry,
  client: Client,
  timeout: number,
  known: string[],
  report: Report,
): Promise<void> {
  const where = `${registry.name} at ${registry.address}`;
  let versions: Service[];
  try {
    versions = await registry.getService(name);
  } catch (err) {
    if ((err as { code?: string }).code !== RegistryErrors.notFound) throw err;
    report.services.push({ name, registered: false, versions: [], nodes: [] });
    report.problems.push(`${name} is not registered in ${where}`);
    const like = similar(name, known);
    if (like.length > 0) report.advice.push(`did you mean ${like.join(' or ')}?`);
    report.advice.push(
      `is ${name} running? It registers in the registry it was started with: ` +
        `services run by "micro run ./${name}" use this one; others need MICRO_REGISTRY=${registry.name}` +
        (registry.name === 'micro' ? ` and MICRO_REGISTRY_ADDRESS=${registry.address}` : '') +
        '. A service that stopped is removed when it deregisters or when its TTL runs out.',
    );
    return;
  }
  const probes = await probeNodes<{ status?: string }>(client, versions, 'Debug.Health', timeout);
  const s: ServiceReport = {
    name,
    registered: true,
    versions: versions.map((v) => v.version).sort(),
    nodes: probes.map((p) => ({
      id: p.node.id,
      address: p.node.address,
      version: p.version,
      // An app behind a sidecar has no Debug.Health; it is registered only while its check passes.
      healthy: !p.error && (p.unsupported === true || p.body?.status === 'ok'),
      ms: p.ms,
      ...(p.error ? { error: p.error } : {}),
    })),
  };
  if (endpoint) {
    const names = new Set(versions.flatMap((v) => v.endpoints.map((e) => e.name)));
    s.endpoint = {
      name: endpoint,
      advertisedBy: versions
        .filter((v) => v.endpoints.some((e) => e.name === endpoint))
        .map((v) => v.version),
      known: [...names].sort(),
    };
    if (s.endpoint.advertisedBy.length === 0 && !endpoint.startsWith('Debug.')) {
      report.problems.push(`${name} has no endpoint ${endpoint}`);
      const like = similar(endpoint, s.endpoint.known);
      report.advice.push(
        like.length > 0
          ? `did you mean ${like.join(' or ')}? (endpoint names are case sensitive)`
          : `${name} advertises: ${s.endpoint.known.join(', ') || 'no endpoints'}; see micro get service ${name}`,
      );
    }
  }
  report.services.push(s);
  if (s.nodes.length === 0) report.problems.push(`${name} is registered with no nodes`);
  const failing = s.nodes.filter((n) => !n.healthy).length;
  if (failing > 0)
    report.problems.push(
      `${failing} of ${plural(s.nodes.length, 'node')} of ${name} did not answer Debug.Health`,
    );
  report.advice.push(...nodeAdvice(s, registry));
}

/** Checks the registry and, for one service or all, whether every node answers. */
async function diagnose(
  args: { registry: string; registryAddress: string },
  service: string | undefined,
  endpoint: string | undefined,
  timeout: number,
): Promise<Report> {
  return withConnection(
    args,
    async ({ registry, client }) => {
      const report: Report = {
        registry: { name: registry.name, address: registry.address, reachable: false, ms: 0 },
        services: [],
        problems: [],
        advice: [],
      };
      const start = performance.now();
      let all: Service[];
      try {
        all = await registry.listServices();
      } catch (err) {
        report.registry.ms = Math.round(performance.now() - start);
        report.registry.error = (err as Error).message;
        report.problems.push(
          `no answer from the ${registry.name} registry at ${registry.address} after ${ms(report.registry.ms)}`,
        );
        report.advice.push(
          registry.name === 'micro'
            ? `no registry at ${registry.address}: start one with "micro run" (or "micro registry"), ` +
                'or point --registry-address (MICRO_REGISTRY_ADDRESS) at the one your services use'
            : `the ${registry.name} registry failed: ${report.registry.error}`,
        );
        return report;
      }
      report.registry.ms = Math.round((performance.now() - start) * 10) / 10;
      report.registry.reachable = true;
      const names = [...new Set(servicesOnly(all).map((s) => s.name))].sort();
      report.registry.services = names.length;
      if (registry.name === 'memory')
        report.advice.push(
          'the memory registry only holds what this one process registered, so the CLI sees nothing there: use --registry micro (the default) or mdns',
        );
      const targets = service ? [service] : names;
      for (const name of targets)
        await examine(name, endpoint, registry, client, timeout, names, report);
      return report;
    },
    { timeout },
  );
}

const text = (r: Report): string => {
  const out: string[] = [];
  const reg = r.registry;
  out.push(`registry  ${reg.name}${reg.address === reg.name ? '' : ` at ${reg.address}`}`);
  out.push(
    reg.reachable
      ? `  ok      answered in ${ms(reg.ms)}; ${plural(reg.services ?? 0, 'service')} registered`
      : `  FAILED  after ${ms(reg.ms)}: ${reg.error ?? 'no answer'}`,
  );
  for (const s of r.services) {
    out.push('', `service   ${s.name}`);
    if (!s.registered) {
      out.push('  FAILED  not registered');
      continue;
    }
    out.push(
      `  ${plural(s.versions.length, 'version')} (${s.versions.join(', ')}), ${plural(s.nodes.length, 'node')}`,
    );
    for (const n of s.nodes) {
      const result = n.healthy
        ? `ok in ${ms(n.ms)}`
        : `FAILED after ${ms(n.ms)}: ${n.error ? `${n.error.code} ${n.error.detail}` : 'not ok'}`;
      out.push(`  ${n.version}  ${n.id}  ${n.address}  ${result}`);
    }
    if (s.endpoint)
      out.push(
        s.endpoint.advertisedBy.length > 0
          ? `  endpoint ${s.endpoint.name}: advertised by ${s.endpoint.advertisedBy.join(', ')}`
          : `  endpoint ${s.endpoint.name}: not advertised`,
      );
  }
  out.push('');
  if (r.problems.length === 0) out.push('no problems found');
  else out.push('problems', ...r.problems.map((p) => `  - ${p}`));
  if (r.advice.length > 0) out.push('', 'advice', ...r.advice.map((a) => `  - ${a}`));
  return out.join('\n');
};

/** `micro doctor [SERVICE] [ENDPOINT]`: why a service cannot be found or called. */
export const doctorCommand = defineCommand({
  command: 'doctor [service] [endpoint]',
  describe: 'Explain why a service cannot be found or called',
  builder: (y) =>
    y
      .positional('service', { type: 'string', describe: 'the service to check; all when none' })
      .positional('endpoint', { type: 'string', describe: 'an endpoint it should have' })
      .option('timeout', timeoutFlag('the registry and each node')),
  handler: async (args) => {
    const timeout = probeTimeout(args.timeout);
    const report = await diagnose(args, args.service, args.endpoint, timeout);
    print(args.output, report, text);
    if (report.problems.length > 0) process.exitCode = 1;
  },
});
