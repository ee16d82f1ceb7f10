import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The first port of the kernel's ephemeral range (what `listen(0)` hands out): ports below it are
 * never given to a process binding port 0, so a port picked there cannot be taken meanwhile by a
 * service that `micro run` starts on a port of its own choosing.
 */
function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/);
    return Number(low) || 32768;
  } catch {
    return 32768;
  }
}

const below = ephemeralStart();

/** Listens on the port (0: any) and closes again; the port it got, or undefined when taken. */
async function tryPort(port: number): Promise<number | undefined> {
  const s = createServer();
  const got = await new Promise<number | undefined>((resolve) => {
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
  });
  if (got !== undefined) await new Promise((r) => s.close(r));
  return got;
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, chosen below the ephemeral range when that
 * leaves room (10,000 ports or more), else any free port.
 */
export async function freePort(): Promise<number> {
  if (below > 20_000) {
    for (let i = 0; i < 50; i++) {
      const port = 10_000 + Math.floor(Math.random() * (below - 10_000));
      const got = await tryPort(port);
      if (got !== undefined) return got;
    }
  }
  const got = await tryPort(0);
  if (got === undefined) throw new Error('no free port on 127.0.0.1');
  return got;
}
