import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

const IP = '/usr/sbin/ip';

/** A process started inside a host's namespace, whose output lines can be awaited. */
export interface HostProcess {
  proc: ChildProcessWithoutNullStreams;
  lines: string[];
  /** Calls fn with every line printed from now on (stderr lines prefixed `stderr: `). */
  onLine(fn: (line: string) => void): void;
  /** Resolves with the first line (from line `since` on, seen or to come) that matches, or rejects after ms. */
  waitFor(pattern: RegExp, ms?: number, since?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  /** Sends a signal (SIGKILL after 3 s) to its PID and resolves once it has gone. */
  stop(): Promise<void>;
}

/** One simulated machine: a network namespace with one address on its link to the hub. */
export interface Host {
  /** The namespace's name. */
  ns: string;
  /** Its address on the link to the hub (the hub's own first address for the hub). */
  ip: string;
  /** Runs a command inside the namespace (`ip netns exec`, which execs it: the PID is the command's). */
  run(command: string, args?: string[], env?: NodeJS.ProcessEnv): HostProcess;
}

/** A hub host routing between leaf hosts, each on its own veth pair and /24. */
export interface Hosts {
  hub: Host & {
    /** The hub's address on each leaf's link, by leaf name. */ ips: Record<string, string>;
  };
  leaves: Record<string, Host>;
  /** Takes the hub's end of a leaf's link down (the leaf is cut off) or up again. */
  link(leaf: string, up: boolean): void;
  /** Stops every process started here, then deletes the namespaces and their veths; safe to call twice. */
  destroy(): Promise<void>;
}

const ip = (...args: string[]): void => {
  const r = spawnSync(IP, args, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(
      `${IP} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}; these tests need root and iproute2`,
    );
};

/**
 * Builds `micro-x-<tag>-hub` and one namespace per leaf name, leaf i on 10.77.<i+1>.0/24 (hub .1,
 * leaf .2) with its default route through the hub, which forwards between them. Throws (the test
 * fails, never skips) when namespaces cannot be made; what was made is still removed by destroy().
 */
export function createHosts(tag: string, names: string[]): Hosts {
  const created: string[] = [];
  const running = new Set<HostProcess>();
  const veth = (leaf: number) => `mx${tag}-${leaf}`;

  const host = (ns: string, address: string): Host => ({
    ns,
    ip: address,
    run: (command, args = [], env = {}) => {
      const p = start(ns, command, args, env, () => running.delete(p));
      running.add(p);
      return p;
    },
  });

  const addNamespace = (ns: string): void => {
    ip('netns', 'add', ns);
    created.push(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  };

  const hubNs = `micro-x-${tag}-hub`;
  const leaves: Record<string, Host> = {};
  const hubIps: Record<string, string> = {};
  const hubSide: Record<string, string> = {};
  const destroy = async (): Promise<void> => {
    await Promise.all([...running].map((p) => p.stop()));
    for (const ns of created.splice(0).reverse()) spawnSync(IP, ['netns', 'delete', ns]);
  };
  try {
    addNamespace(hubNs);
    ip('netns', 'exec', hubNs, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    names.forEach((name, i) => {
      const ns = `micro-x-${tag}-${name}`;
      const net = `10.77.${i + 1}`;
      addNamespace(ns);
      // Both ends are made directly inside their namespaces: nothing appears on the real host.
      ip(
        'link',
        'add',
        veth(i),
        'netns',
        hubNs,
        'type',
        'veth',
        'peer',
        'name',
        'hub',
        'netns',
        ns,
      );
      ip('-n', hubNs, 'addr', 'add', `${net}.1/24`, 'dev', veth(i));
      ip('-n', ns, 'addr', 'add', `${net}.2/24`, 'dev', 'hub');
      ip('-n', hubNs, 'link', 'set', veth(i), 'up');
      ip('-n', ns, 'link', 'set', 'hub', 'up');
      ip('-n', ns, 'route', 'add', 'default', 'via', `${net}.1`);
      leaves[name] = host(ns, `${net}.2`);
      hubIps[name] = `${net}.1`;
      hubSide[name] = veth(i);
    });
  } catch (err) {
    void destroy();
    throw err;
  }
  return {
    hub: { ...host(hubNs, '10.77.1.1'), ips: hubIps },
    leaves,
    link(leaf, up) {
      const dev = hubSide[leaf];
      if (!dev) throw new Error(`no leaf host ${leaf}`);
      ip('-n', hubNs, 'link', 'set', dev, up ? 'up' : 'down');
    },
    destroy,
  };
}

function start(
  ns: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  forget: () => void,
): HostProcess {
  const proc = spawn(IP, ['netns', 'exec', ns, command, ...args], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void }>();
  const onLine = (line: string): void => {
    lines.push(line);
    for (const fn of listeners) fn(line);
    for (const w of waiters) {
      const m = line.match(w.pattern);
      if (m) {
        waiters.delete(w);
        w.resolve(m);
      }
    }
  };
  createInterface({ input: proc.stdout }).on('line', onLine);
  createInterface({ input: proc.stderr }).on('line', (l) => onLine(`stderr: ${l}`));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const name = `${command} ${args.join(' ')} in ${ns}`;
  return {
    proc,
    lines,
    exited,
    onLine: (fn) => void listeners.push(fn),
    waitFor(pattern, ms = 10_000, since = 0) {
      for (const l of lines.slice(since)) {
        const m = l.match(pattern);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const fail = (why: string): void => {
          clearTimeout(timer);
          waiters.delete(waiter);
          reject(new Error(`${why} (${name}); it printed:\n${lines.slice(-60).join('\n')}`));
        };
        const timer = setTimeout(() => fail(`no line matching ${pattern} within ${ms} ms`), ms);
        const waiter = {
          pattern,
          resolve: (m: RegExpMatchArray) => (clearTimeout(timer), resolve(m)),
        };
        waiters.add(waiter);
        void exited.then((code) => fail(`exited (${code}) before printing ${pattern}`));
      });
    },
    async stop() {
      forget();
      if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      proc.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Runs etcd in the hub's namespace, serving clients on the hub's address on each link, with short
 * heartbeat and election times so that it grants (and expires) the short leases tests use.
 */
export function runHubEtcd(hub: Hosts['hub'], dataDir: string): HostProcess {
  return hub.run('etcd', [
    '--name=hub',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${Object.values(hub.ips)
      .map((ip) => `http://${ip}:2379`)
      .join(',')}`,
    `--advertise-client-urls=http://${Object.values(hub.ips)[0]}:2379`,
    '--listen-peer-urls=http://127.0.0.1:2380',
    '--initial-advertise-peer-urls=http://127.0.0.1:2380',
    '--initial-cluster=hub=http://127.0.0.1:2380',
    '--heartbeat-interval=50',
    '--election-timeout=250',
  ]);
}
