// Not imported: an ES import of node:http reads its lazy WebSocket export, which loads Node's
// bundled undici (about 50 ms at start-up); getBuiltinModule does not.
const { STATUS_CODES } = process.getBuiltinModule('node:http');

/** The one error shape, on the wire and in TypeScript. */
export interface ErrorShape {
  /** Who raised it: a service name (`greeter`) or a component (`micro.client`, `micro.api`). */
  id: string;
  /** The HTTP status code that fits (400, 404, 408, 500, 503, ...). */
  code: number;
  /** What went wrong, for a person to read. */
  detail: string;
  /** The status text of the code (`Not Found`). */
  status: string;
}

/** An error that crosses process boundaries as `{id, code, detail, status}`. */
export class MicroError extends Error implements ErrorShape {
  readonly id: string;
  readonly code: number;
  readonly detail: string;
  readonly status: string;
  /**
   * Seconds after which the caller may try again (a 429 or a 503 from a limit or an open circuit).
   * Not in the JSON body: it travels as the reply's `retry-after` header (HTTP `Retry-After`).
   */
  retryAfter?: number;

  constructor(id: string, code: number, detail: string, status?: string) {
    super(detail);
    this.name = 'MicroError';
    this.id = id;
    this.code = code;
    this.detail = detail;
    this.status = status ?? STATUS_CODES[code] ?? 'Unknown';
  }

  /** The wire shape, without stack or cause. */
  toJSON(): ErrorShape {
    return { id: this.id, code: this.code, detail: this.detail, status: this.status };
  }

  override toString(): string {
    return JSON.stringify(this.toJSON());
  }
}

const make = (code: number) => (id: string, detail: string) => new MicroError(id, code, detail);

/** 400: the request is malformed or failed validation. */
export const badRequest = make(400);
/** 401: the caller is not authenticated. */
export const unauthorized = make(401);
/** 403: the caller may not do this. */
export const forbidden = make(403);
/** 404: no such service, endpoint or thing. */
export const notFound = make(404);
/** 405: the method is not allowed. */
export const methodNotAllowed = make(405);
/** 408: the deadline passed. */
export const timeout = make(408);
/** 409: the request conflicts with current state. */
export const conflict = make(409);
/** 500: the handler failed. */
export const internalServerError = make(500);
/** 502: a peer answered badly or the connection broke mid-call. */
export const badGateway = make(502);
/** 503: no node could take the call. */
export const serviceUnavailable = make(503);

/** True for a value with the wire shape of an error. */
export function isErrorShape(value: unknown): value is ErrorShape {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'number' && typeof v.detail === 'string' && typeof v.id === 'string';
}

/** Turns anything thrown into a MicroError; unknown errors become a 500 with the message only. */
export function toMicroError(err: unknown, id: string): MicroError {
  if (err instanceof MicroError) return err;
  if (isErrorShape(err)) return new MicroError(err.id, err.code, err.detail, err.status);
  if (err instanceof Error) return internalServerError(id, err.message || err.name);
  return internalServerError(id, String(err));
}

/** Parses an error from its JSON text; text that is not an error becomes a 500 carrying it. */
export function parseError(text: string, id: string): MicroError {
  try {
    const value: unknown = JSON.parse(text);
    if (isErrorShape(value))
      return new MicroError(value.id, value.code, value.detail, value.status);
  } catch {
    // not JSON: fall through
  }
  return internalServerError(id, text);
}

/**
 * True when an error is worth another attempt on another node: connection failures, 408 and 5xx,
 * except 501 (not implemented: no node will do it).
 */
export function isRetryable(err: MicroError): boolean {
  return err.code === 408 || (err.code >= 500 && err.code !== 501);
}

/** The `retry-after` header value of an error: whole seconds, at least 1; undefined when it has none. */
export function retryAfterHeader(err: MicroError): string | undefined {
  const s = err.retryAfter;
  return s !== undefined && s > 0 ? String(Math.max(1, Math.ceil(s))) : undefined;
}

/** Sets err.retryAfter from a `retry-after` header of whole seconds (other values are ignored). */
export function withRetryAfter(err: MicroError, header: string | undefined): MicroError {
  if (header !== undefined && /^\d{1,9}$/.test(header))
    err.retryAfter = Math.max(1, Number(header));
  return err;
}

/** The error an error reply carries: its JSON body, and its `retry-after` header as retryAfter. */
export function replyError(
  reply: { header: Record<string, string | undefined>; body: Uint8Array },
  id: string,
): MicroError {
  return withRetryAfter(
    parseError(Buffer.from(reply.body).toString('utf8'), id),
    reply.header['retry-after'],
  );
}
