// Child process: `node bench/api/server.ts <kind> [upstream]` serves one part of a contender on
// 127.0.0.1 and prints {"address": ...} as its first stdout line; it stops on SIGTERM or when the parent goes.
//   greeter           a micro service with Say.Hello (framed TCP and HTTP on one port)
//   gateway <addr>    micro's API gateway, with the greeter at addr in an in-process registry
//   fastify <addr>    a hand-written fastify + undici proxy to the greeter's HTTP side at addr
//   bare              a bare node:http server answering the greeting itself (the floor)
//   moleculer         a Moleculer broker with the greeter service, TCP transporter
//   moleculer-web <a> moleculer-web in a broker that reaches the greeter broker at a over TCP
import { servers } from './servers.ts';

const [kind = '', upstream = ''] = process.argv.slice(2);
const make = servers[kind];
if (!make) {
  console.error(`unknown server ${kind}; use one of ${Object.keys(servers).join(', ')}`);
  process.exit(2);
}
const server = await make(upstream);
process.stdout.write(`${JSON.stringify({ address: server.address })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 2000).unref();
  server.close().then(
    () => process.exit(0),
    () => process.exit(0),
  );
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
