/** How the gateway listens: its HTTP (or HTTPS) server, and a failure to listen as an error naming the address. */
import { createServer, type RequestListener, type Server } from 'node:http';
import { badRequest, conflict } from '../runtime/errors.ts';
import type { ServerTlsOptions } from '../runtime/transport/transport.ts';
import { GATEWAY_ID } from './proxy.ts';
import { SERVER_TIMEOUTS } from './timeouts.ts';

/** The error a failure to listen on `address` becomes (EADDRINUSE: 409; EACCES, EADDRNOTAVAIL: 400). */
export function listenError(err: unknown, address: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return conflict(
      GATEWAY_ID,
      `cannot start the API gateway: ${address} is in use; choose another with --api-address or MICRO_API_ADDRESS (the address option in code)`,
    );
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL')
    return badRequest(
      GATEWAY_ID,
      `cannot start the API gateway on ${address} (${code}); choose another with --api-address or MICRO_API_ADDRESS (the address option in code)`,
    );
  return err;
}

/** The gateway's HTTP server, or an HTTPS one (node:https loaded only then) when given TLS. */
export function listenServer(tls: ServerTlsOptions | undefined, listener: RequestListener): Server {
  if (!tls) return createServer(SERVER_TIMEOUTS, listener);
  const mutual = tls.mutual === true;
  return process.getBuiltinModule('node:https').createServer(
    {
      ...SERVER_TIMEOUTS,
      key: tls.key,
      cert: tls.cert,
      ca: tls.ca,
      requestCert: mutual,
      rejectUnauthorized: mutual,
    },
    listener,
  );
}
