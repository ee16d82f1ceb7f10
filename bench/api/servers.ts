// The server side of every contender: each starts on 127.0.0.1 and says where it listens.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { quiet } from '../lib/logger.ts';

/** A started server: where it listens, and how to stop it. */
export interface Started {
  address: string;
  close(): Promise<void>;
}

const hello = (req: { name?: unknown }): { msg: string } => ({ msg: `Hello ${String(req.name)}` });

/** micro's gateway with the greeter at upstream in an in-process registry; auth on when asked. */
async function gateway(upstream: string, auth: boolean): Promise<Started> {
  const { createMemoryRegistry } = await import('../../src/runtime/index.ts');
  const { createGateway } = await import('../../src/proxy/index.ts');
  const registry = createMemoryRegistry();
  await registry.register({
    name: 'greeter',
    version: '1.0.0',
    metadata: {},
    endpoints: [
      {
        name: 'Say.Hello',
        request: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        metadata: {},
      },
    ],
    nodes: [{ id: 'greeter-bench', address: upstream, metadata: {} }],
  });
  // Request logs off, as the other contenders have none.
  const g = await createGateway({
    registry,
    address: '127.0.0.1:0',
    log: false,
    ...(auth && { auth: await (await import('./auth.ts')).benchEdgeAuth() }),
  });
  return { address: g.address, close: () => g.close() };
}

/** The servers by kind; upstream is the address of the part behind it, when it has one. */
export const servers: Record<string, (upstream: string) => Promise<Started>> = {
  async greeter() {
    const { createMemoryRegistry, createService, endpoint } =
      await import('../../src/runtime/index.ts');
    const service = createService({
      name: 'greeter',
      version: '1.0.0',
      address: '127.0.0.1:0',
      registry: createMemoryRegistry(),
      handleSignals: false,
      logger: quiet,
    });
    service.handle('Say', {
      Hello: endpoint(
        {
          request: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        },
        async (req: { name: string }) => hello(req),
      ),
    });
    await service.start();
    return { address: service.server.address, close: () => service.stop() };
  },

  gateway: (upstream) => gateway(upstream, false),

  /** The same gateway with auth on: each request's Bearer token verified (cached) and the rules applied. */
  'gateway-auth': (upstream) => gateway(upstream, true),

  async fastify(upstream) {
    const { default: Fastify } = await import('fastify');
    const { Pool } = await import('undici');
    const pool = new Pool(`http://${upstream}`, { connections: 64 });
    const app = Fastify({ logger: false });
    app.post('/greeter/say/hello', async (req, reply) => {
      const res = await pool.request({
        method: 'POST',
        path: '/',
        headers: {
          'micro-service': 'greeter',
          'micro-endpoint': 'Say.Hello',
          'content-type': 'application/json',
        },
        body: JSON.stringify(req.body),
      });
      reply.code(res.statusCode).header('content-type', 'application/json');
      return reply.send(Buffer.from(await res.body.arrayBuffer()));
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    return {
      address: `127.0.0.1:${port}`,
      close: async () => {
        await app.close();
        await pool.close();
      },
    };
  },

  async bare() {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.stringify(
          hello(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name?: unknown }),
        );
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return {
      address: `127.0.0.1:${port}`,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  },

  async moleculer() {
    const { serveGreeter } = await import('../rpc/targets/moleculer.ts');
    return serveGreeter(`bench-greeter-${process.pid}`);
  },

  async 'moleculer-web'(upstream) {
    const { broker } = await import('../rpc/targets/moleculer.ts');
    const { default: ApiGateway } = await import('moleculer-web');
    const b = broker(`bench-web-${process.pid}`, [upstream]);
    const api = b.createService({
      name: 'api',
      mixins: [ApiGateway],
      settings: {
        port: 0,
        ip: '127.0.0.1',
        logRequest: null,
        logResponse: null,
        routes: [
          {
            path: '/',
            aliases: { 'POST /greeter/say/hello': 'greeter.hello' },
            bodyParsers: { json: true },
          },
        ],
      },
    }) as unknown as { server: { address(): AddressInfo } };
    await b.start();
    await b.waitForServices('greeter', 30_000);
    return { address: `127.0.0.1:${api.server.address().port}`, close: () => b.stop() };
  },
};
