import { MicroError, toMicroError } from '../runtime/errors.ts';
import { GATEWAY_ID } from './proxy.ts';

export {
  /** The HTTP status of an error: its code when that is an HTTP error status, else 500. */
  httpStatus,
  /** Answers a WebSocket upgrade request with the error as a plain HTTP response, then closes the socket. */
  refuseSocket as refuseUpgrade,
} from '../runtime/transport/tcp/http-wire.ts';

/** Anything thrown, as the error the gateway answers with. */
export function asError(err: unknown): MicroError {
  return toMicroError(err, GATEWAY_ID);
}

/** 429: the client sent more requests than its rate allows; retry after that many seconds, if given. */
export const tooManyRequests = (detail: string, retryAfter?: number): MicroError => {
  const e = new MicroError(GATEWAY_ID, 429, detail, 'Too Many Requests');
  if (retryAfter !== undefined) e.retryAfter = retryAfter;
  return e;
};

/** 413: the request body is over the limit. */
export const payloadTooLarge = (detail: string): MicroError =>
  new MicroError(GATEWAY_ID, 413, detail, 'Payload Too Large');

/** 421: the Host names a server other than this one (a DNS-rebinding page, or a misdirected request). */
export const foreignHost = (host: string | undefined): MicroError =>
  new MicroError(
    GATEWAY_ID,
    421,
    `host ${JSON.stringify((host ?? '').slice(0, 100))} is not served here: the gateway is bound to loopback and answers only loopback names (add others with --api-allowed-hosts)`,
    'Misdirected Request',
  );
