// Moleculer 0.15 with its NATS transporter (JSON serializer, the default): an echo action in one
// broker, remote calls from another.
import { ServiceBroker } from 'moleculer';
import { REQUEST, checkEcho, type Caller, type Target } from '../target.ts';

/** A broker on the nats-server at nats, configured as bench/rpc's: no logger, metrics or tracing. */
function broker(nodeID: string, nats: string): ServiceBroker {
  return new ServiceBroker({
    nodeID,
    namespace: 'bench',
    transporter: { type: 'NATS', options: { url: `nats://${nats}` } },
    serializer: 'JSON',
    logger: false,
    metrics: false,
    tracing: false,
    requestTimeout: 5000,
  });
}

export const moleculer: Target = {
  async serve(nats) {
    const nodeID = `bench-server-${process.pid}`;
    const b = broker(nodeID, nats);
    b.createService({
      name: 'echo',
      actions: { echo: (ctx: { params: unknown }) => ctx.params },
    });
    await b.start();
    return { address: nodeID, close: () => b.stop() };
  },

  async connect(nats) {
    const b = broker(`bench-client-${process.pid}`, nats);
    await b.start();
    await b.waitForServices('echo', 30_000);
    const caller: Caller = {
      call: () => b.call('echo.echo', REQUEST),
      close: () => b.stop(),
    };
    checkEcho(await caller.call());
    return caller;
  },
};
