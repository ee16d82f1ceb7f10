// Child process: `node bench/api/server.ts <kind> [upstream]` serves one part of a contender on
// 127.0.0.1 and prints {"address": ...} as its first stdout line; it stops on a stop message, SIGTERM
// or when the parent goes.
//   greeter           a micro service with Say.Hello (framed TCP and HTTP on one port)
//   gateway <addr>    micro's API gateway, with the greeter at addr in an in-process registry
//   fastify <addr>    a hand-written fastify + undici proxy to the greeter's HTTP side at addr
//   bare              a bare node:http server answering the greeting itself (the floor)
//   moleculer         a Moleculer broker with the greeter service, TCP transporter
//   moleculer-web <a> moleculer-web in a broker that reaches the greeter broker at a over TCP
import { serveChild } from '../lib/child.ts';
import { servers } from './servers.ts';

const [kind = '', upstream = ''] = process.argv.slice(2);
const make = servers[kind];
if (!make) {
  console.error(`unknown server ${kind}; use one of ${Object.keys(servers).join(', ')}`);
  process.exit(2);
}
serveChild(await make(upstream));
