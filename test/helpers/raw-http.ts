// Raw HTTP/1.1 for requests no client would send: trickled, malformed, oversized, any Host.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

/** What came back on one connection: the first response (status 0 if none) and whether the server closed. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed (or reset) the connection before `waitMs` passed. */
  closed: boolean;
  /** Milliseconds from the first byte sent to the close, or to the end of the wait. */
  elapsed: number;
}

/** Options of one raw exchange. */
export interface RawOptions {
  /** How long to wait for the answer and the close (default 5 s); the socket is destroyed after. */
  waitMs?: number;
  /** Milliseconds between chunks; 0 (the default) sends them at once. */
  gapMs?: number;
  /** Return as soon as a complete response arrived, without waiting for the close. */
  untilResponse?: boolean;
  /** The request is a HEAD: the response has no body, whatever its Content-Length says. */
  head?: boolean;
  /** End the sending side after the last chunk, so that an incomplete request is over at once. */
  end?: boolean;
}

/** Parses the first response in `raw`; undefined until its head (and Content-Length body) is complete. */
export function parseResponse(
  raw: Buffer,
  head = false,
): { status: number; headers: Record<string, string>; body: string } | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = head ? 0 : Number(headers['content-length'] ?? 0);
  const rest = raw.subarray(end + 4);
  if (rest.length < length) return undefined;
  return { status: Number(m[1]), headers, body: rest.subarray(0, length).toString('utf8') };
}

/** Sends the chunks to 127.0.0.1:port (spaced by gapMs) and collects what comes back. */
export async function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  options: RawOptions = {},
): Promise<RawResponse> {
  const waitMs = options.waitMs ?? 5000;
  const socket: Socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const started = Date.now();
  let received = Buffer.alloc(0);
  let closed = false;
  let settle!: () => void;
  const done = new Promise<void>((resolve) => (settle = resolve));
  socket.on('data', (c: Buffer) => {
    received = Buffer.concat([received, c]);
    if (options.untilResponse && parseResponse(received, options.head)) settle();
  });
  socket.once('close', () => {
    closed = true;
    settle();
  });
  const limit = setTimeout(settle, waitMs);
  void (async () => {
    for (const chunk of chunks) {
      if (closed || socket.destroyed) return;
      socket.write(chunk);
      if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
    }
    if (options.end && !socket.destroyed) socket.end();
  })();
  await done;
  clearTimeout(limit);
  const elapsed = Date.now() - started;
  socket.destroy();
  const res = parseResponse(received, options.head);
  return {
    status: res?.status ?? 0,
    headers: res?.headers ?? {},
    body: res?.body ?? '',
    closed,
    elapsed,
  };
}

/** A request's bytes: the request line, the headers given (Host first unless given), and the body. */
export function rawRequest(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): string {
  const headers = { host: `127.0.0.1:${port}`, ...options.headers };
  const body = options.body ?? '';
  const lines = [`${options.method ?? 'POST'} ${options.path ?? '/'} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-length') && body !== '')
    lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** True when the body is a micro error `{id, code, detail, status}` with this code. */
export function isErrorBody(body: string, code: number): boolean {
  try {
    const v = JSON.parse(body) as Record<string, unknown>;
    return (
      v.code === code &&
      typeof v.id === 'string' &&
      typeof v.detail === 'string' &&
      typeof v.status === 'string'
    );
  } catch {
    return false;
  }
}

/** One request with any Host, Origin or upgrade headers, as a browser or an attacker sends them. */
export function requestAs(
  address: string,
  o: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        method: o.method ?? 'GET',
        path: o.path,
        // With a length: Node sends a DELETE's body unframed otherwise.
        headers: {
          ...(o.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(o.body)) }),
          ...o.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    // An accepted upgrade: its status and headers, and the socket closed.
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
