// A real Prosody (Debian's prosody) run by a test: its own config file, data and pid file in a
// throwaway directory, client connections only (c2s on a free 127.0.0.1 port; no s2s, HTTP or
// components but an optional MUC), plain authentication allowed without TLS (loopback only), the
// test's users registered with prosodyctl before it starts. `restart()` keeps the port and the data.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.ts';
import { startServerProcess, type RunningServer } from './server-process.ts';

/** A running Prosody started by a test; `stop()` also removes its directory. */
export interface ProsodyServer extends RunningServer {
  /** `xmpp://127.0.0.1:<port>`, for MICRO_BOT_XMPP_SERVICE and @xmpp/client's `service`. */
  service: string;
  /** The virtual host: `localhost`. */
  domain: string;
  /** The MUC service's domain (`conference.localhost`), when asked for. */
  muc?: string;
  /** Changes a user's password (running or not). */
  password(user: string, password: string): Promise<void>;
  /** Stops Prosody and starts it again on the same port with the same accounts, once `whileDown` (if given) resolves. */
  restart(whileDown?: () => Promise<unknown>): Promise<void>;
}

/** What the test wants of its Prosody. */
export interface ProsodyOptions {
  /** Accounts to create on `localhost`: local part -> password. */
  users: Record<string, string>;
  /** Also serve multi-user chat on `conference.localhost`. */
  muc?: boolean;
}

const run = promisify(execFile);

/** A Lua string literal. */
const lua = (s: string): string => JSON.stringify(s);

/** Prosody's configuration for one test server: only what the tests need. */
function config(dir: string, port: number, muc: boolean): string {
  return [
    `pidfile = ${lua(join(dir, 'prosody.pid'))}`,
    `data_path = ${lua(join(dir, 'data'))}`,
    `certificates = ${lua(join(dir, 'certs'))}`,
    'daemonize = false',
    // The test runs as root here (a container); Prosody would otherwise switch to its own user.
    'run_as_root = true',
    'log = { { levels = { min = "info" }, to = "console" } }',
    'interfaces = { "127.0.0.1" }',
    `c2s_ports = { ${port} }`,
    'c2s_interfaces = { "127.0.0.1" }',
    'c2s_direct_tls_ports = { }',
    'legacy_ssl_ports = { }',
    'modules_enabled = { "roster", "saslauth", "disco", "ping", "presence", "offline" }',
    'modules_disabled = { "s2s" }',
    // No certificates: no STARTTLS offered; loopback only, so plain authentication is harmless.
    'c2s_require_encryption = false',
    'allow_unencrypted_plain_auth = true',
    'authentication = "internal_plain"',
    'storage = "internal"',
    'muc_room_locking = false',
    'muc_room_default_public_jids = true',
    'VirtualHost "localhost"',
    ...(muc ? ['Component "conference.localhost" "muc"'] : []),
    '',
  ].join('\n');
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1000 });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * Starts a real Prosody on 127.0.0.1 with a free c2s port, the given accounts (and a MUC service
 * when asked), and resolves once its port accepts connections. Rejects, so the test fails, when it
 * cannot.
 */
export async function startProsody(opts: ProsodyOptions): Promise<ProsodyServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'micro-prosody-'));
  const file = join(dir, 'prosody.cfg.lua');
  await mkdir(join(dir, 'data'));
  await mkdir(join(dir, 'certs'));
  await writeFile(file, config(dir, port, opts.muc ?? false));
  try {
    for (const [user, password] of Object.entries(opts.users))
      await run('prosodyctl', ['--config', file, 'register', user, 'localhost', password], {
        timeout: 15_000,
      });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `prosodyctl could not register the test users (install prosody): ${String(err)}`,
      { cause: err },
    );
  }
  const once = (): Promise<RunningServer> =>
    startServerProcess({
      command: 'prosody',
      install: 'prosody',
      address: `127.0.0.1:${port}`,
      args: ['--config', file],
      ready: () => accepts(port),
    });
  let current: RunningServer | undefined;
  try {
    current = await once();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    address: `127.0.0.1:${port}`,
    service: `xmpp://127.0.0.1:${port}`,
    domain: 'localhost',
    ...(opts.muc && { muc: 'conference.localhost' }),
    async password(user, password) {
      // prosodyctl asks for the new password twice.
      const passwd = run('prosodyctl', ['--config', file, 'passwd', `${user}@localhost`], {
        timeout: 15_000,
      });
      passwd.child.stdin?.end(`${password}\n${password}\n`);
      await passwd;
    },
    async restart(whileDown) {
      await current?.stop();
      current = undefined;
      await whileDown?.();
      current = await once();
    },
    async stop() {
      await current?.stop();
      current = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
