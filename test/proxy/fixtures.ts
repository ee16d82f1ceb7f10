// Services behind the gateway in its tests: micro services in this process, and plain HTTP servers
// registered as `http` and `web` services, all against a real control plane on 127.0.0.1.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import {
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from '../../src/controlplane/index.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Service as ServiceRecord } from '../../src/registry/registry.ts';
import {
  conflict,
  createService,
  endpoint,
  serverStream,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { nameSchema, quiet, streamHandlers } from '../helpers/fixtures.ts';

/** A greeter at a version: unary, streaming, slow and failing endpoints, and an events subscriber. */
export function greeter(registry: Registry, version: string, events: unknown[] = []): Service {
  const major = version.split('.')[0] ?? '';
  const s = createService({
    name: 'greeter',
    version,
    registry,
    handleSignals: false,
    logger: quiet,
  });
  s.handle('Say', {
    Hello: endpoint(
      {
        request: nameSchema,
        response: { type: 'object', properties: { msg: { type: 'string' } } },
      },
      async (req: { name: string }) => ({ msg: `Hello ${req.name}`, version: major }),
    ),
    Meta: async (_req: unknown, ctx: { metadata: Record<string, string> }) => ctx.metadata,
    Slow: endpoint(
      { metadata: { timeout: '1500' } },
      async (_req: unknown, ctx: { signal: AbortSignal; deadline: number }) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () =>
            reject(new Error(`gave up; deadline was ${ctx.deadline}`)),
          ),
        ),
    ),
    Fail: async () => {
      throw conflict('greeter', 'that name is taken');
    },
    ...streamHandlers(),
    // With a schema: the gateway's tests send a Count that fails it.
    Count: serverStream(
      { request: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } },
      async function* (req: { n: number }) {
        for (let i = 0; i < req.n; i++) yield { i };
      },
    ),
  });
  s.handle('Greeter', { Hello: async (req: { name: string }) => ({ msg: `Hi ${req.name}` }) });
  s.subscribe('events', async (m: unknown) => void events.push(m));
  return s;
}

/** A users service with endpoint-declared routes, one of them served by the api handler. */
export function users(registry: Registry): Service {
  const s = createService({
    name: 'users',
    version: '1.0.0',
    registry,
    handleSignals: false,
    logger: quiet,
  });
  s.handle('Users', {
    Get: endpoint(
      {
        metadata: { method: 'GET', path: '/users/{id}' },
        request: {
          type: 'object',
          properties: { id: { type: 'integer' }, full: { type: 'boolean' } },
          required: ['id'],
        },
        response: { type: 'object', properties: { id: { type: 'integer' } } },
      },
      async (req: { id: number; full?: boolean }) => ({
        id: req.id,
        name: `user ${req.id}`,
        full: req.full ?? false,
      }),
    ),
    Rename: endpoint(
      { metadata: { method: 'PUT', path: '/users/{id}' } },
      async (req: { id: string; name: string }) => ({ renamed: req.id, to: req.name }),
    ),
    Hook: endpoint(
      { metadata: { handler: 'api', method: 'POST,PUT', path: '/hooks/{name}' } },
      async (req: {
        method: string;
        path: string;
        header: Record<string, string>;
        query: unknown;
        params: unknown;
        body: string;
      }) => ({
        statusCode: 201,
        header: { 'x-hook': 'yes', 'content-type': 'text/plain; charset=utf-8' },
        body: `${req.method} ${req.path} ${JSON.stringify(req.params)} ${JSON.stringify(req.query)} ${req.header['x-test'] ?? ''} ${req.body}`,
      }),
    ),
  });
  return s;
}

/** A plain HTTP server (no micro) that answers with what it was asked; upgrades to WebSocket echo when ws is set. */
export async function httpApp(
  ws = false,
): Promise<{ server: Server; address: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(218, { 'content-type': 'application/json', 'x-app': 'legacy' });
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          forwardedFor: req.headers['x-forwarded-for'],
          forwardedHost: req.headers['x-forwarded-host'],
          basePath: req.headers['x-micro-web-base-path'],
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
  });
  if (ws) {
    const wss = new WebSocketServer({ server });
    wss.on('connection', (socket, req) => {
      socket.send(`hello ${req.url ?? ''}`);
      socket.on('message', (m: Buffer) => socket.send(`echo ${m.toString('utf8')}`));
    });
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A control plane on a free port (with any other options) and a registry client of it. */
export async function controlPlane(options: Omit<ControlPlaneOptions, 'dataDir'> = {}): Promise<{
  cp: ControlPlane;
  registry: Registry;
  stop(): Promise<void>;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'micro-api-'));
  const cp = await startControlPlane({
    address: '127.0.0.1:0',
    dataDir,
    logger: quiet,
    ...options,
  });
  const registry = createMicroRegistry({ address: cp.address });
  return {
    cp,
    registry,
    async stop() {
      await registry.close();
      await cp.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The registry with extra records only the gateway's catalog sees: odd ones (numbers where strings
 * go, no endpoints list, cyclic schemas) that another registry (etcd, NATS, a peer) might hold.
 */
export function withRecords(registry: Registry, extra: unknown[]): Registry {
  const named = (name: string): ServiceRecord[] =>
    extra.filter((r) => (r as { name?: unknown } | null)?.name === name) as ServiceRecord[];
  return {
    name: registry.name,
    address: registry.address,
    register: (s, o) => registry.register(s, o),
    deregister: (s) => registry.deregister(s),
    async getService(name) {
      const own = named(name);
      try {
        return [...(await registry.getService(name)), ...own];
      } catch (err) {
        if (own.length > 0) return own;
        throw err;
      }
    },
    async listServices() {
      return [...(await registry.listServices()), ...(extra as ServiceRecord[])];
    },
    watch: (o) => registry.watch(o),
    close: async () => {},
  };
}
