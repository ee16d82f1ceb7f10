/** A gateway's failure to listen, as an error naming the address and how to choose another. */
import { badRequest, conflict } from '../runtime/errors.ts';
import { GATEWAY_ID } from './proxy.ts';

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
