// Moleculer 0.15 with its TCP transporter: a greeter service in one broker, remote calls from another.
import net from 'node:net';
import { ServiceBroker, Transporters } from 'moleculer';
import { REQUEST, hello, type Caller, type Target } from '../target.ts';

/** The TCP transporter bound to loopback: stock Moleculer listens on every interface. */
export class LoopbackTcp extends Transporters.TCP {
  override startTcpServer(): Promise<void> {
    const proto = net.Server.prototype as unknown as {
      listen: (this: net.Server, ...a: unknown[]) => net.Server;
    };
    const listen = proto.listen;
    // TcpReader calls server.listen({ port, exclusive }, cb) synchronously inside startTcpServer.
    proto.listen = function (first: unknown, ...rest: unknown[]) {
      const opts =
        typeof first === 'object' && first !== null ? { ...first, host: '127.0.0.1' } : first;
      return listen.call(this, opts, ...rest);
    };
    try {
      return super.startTcpServer();
    } finally {
      proto.listen = listen;
    }
  }
}

/** A broker that only ever talks over 127.0.0.1, with logging, metrics and tracing off. */
export function broker(nodeID: string, urls: string[]): ServiceBroker {
  const b = new ServiceBroker({
    nodeID,
    namespace: 'bench',
    transporter: new LoopbackTcp({ udpDiscovery: false, urls: urls.join(','), useHostname: true }),
    logger: false,
    metrics: false,
    tracing: false,
    requestTimeout: 5000,
  });
  // Peers dial the address a node advertises; by default that is the machine's host name.
  const local = b.registry.nodes.localNode;
  if (local) {
    local.hostname = '127.0.0.1';
    local.ipList = ['127.0.0.1'];
  }
  return b;
}

/** Starts a broker called nodeID with the greeter service; resolves with its `127.0.0.1:port/nodeID` address. */
export async function serveGreeter(
  nodeID: string,
): Promise<{ address: string; close(): Promise<void> }> {
  const b = broker(nodeID, []);
  b.createService({
    name: 'greeter',
    actions: { hello: (ctx: { params: { name: string } }) => hello(ctx.params) },
  });
  await b.start();
  const port = (b.transit?.tx as LoopbackTcp).opts.port;
  return { address: `127.0.0.1:${port}/${nodeID}`, close: () => b.stop() };
}

export const moleculer: Target = {
  serve: () => serveGreeter(`bench-server-${process.pid}`),

  async connect(address) {
    const b = broker(`bench-client-${process.pid}`, [address]);
    await b.start();
    await b.waitForServices('greeter', 30_000);
    const caller: Caller = {
      call: () => b.call('greeter.hello', REQUEST),
      close: () => b.stop(),
    };
    const rsp = (await caller.call()) as { msg?: string };
    if (rsp.msg !== 'Hello bench') throw new Error(`unexpected response ${JSON.stringify(rsp)}`);
    return caller;
  },
};
