// The control plane's OTLP/HTTP receiver: `POST /v1/traces` on its port (8000), so any
// OpenTelemetry SDK, collector or language sends its spans to micro's trace store. As OTLP/HTTP
// says: a body of `application/json` (OTLP JSON) or `application/x-protobuf` (the binary
// ExportTraceServiceRequest), optionally gzip-encoded; 200 with an ExportTraceServiceResponse in
// the request's encoding; 400 with a google.rpc.Status naming what is wrong (nothing of the request
// is stored); 413 past 4 MiB (before or after gzip); 415 for another content type; 405 for another
// method. The port's own Host and Origin checks run before it (a browser page can neither read nor
// post to it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { isErrorShape } from '../../runtime/errors.ts';
import { decodeOtlpJson } from './otlp.ts';
import type { Trace } from './trace.ts';

/** The path OTLP/HTTP exporters post spans to. */
export const OTLP_TRACES_PATH = '/v1/traces';

/** The largest body taken, bytes (after gzip too). */
export const OTLP_BODY_LIMIT = 4 * 1024 * 1024;

const inflate = promisify(gunzip);

// google.rpc.Code values OTLP uses in a Status.
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const INTERNAL = 13;
const UNAVAILABLE = 14;

/** Why a request is answered with an error status: HTTP status, rpc code, message. */
class Refused extends Error {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The body, at most OTLP_BODY_LIMIT bytes; past it a 413 (the rest is not read). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > OTLP_BODY_LIMIT) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > OTLP_BODY_LIMIT) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const tooLarge = () =>
  new Refused(413, RESOURCE_EXHAUSTED, `the body is over ${OTLP_BODY_LIMIT} bytes (4 MiB)`);

/** The body without its Content-Encoding (identity or gzip). */
async function decoded(req: IncomingMessage, body: Buffer): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip')
    throw new Refused(
      415,
      INVALID_ARGUMENT,
      `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not taken: use gzip or none`,
    );
  try {
    return await inflate(body, { maxOutputLength: OTLP_BODY_LIMIT });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new Refused(400, INVALID_ARGUMENT, 'the body is not valid gzip');
  }
}

type Format = 'json' | 'protobuf';

/** The request's format by its Content-Type; another type is a 415. */
function formatOf(req: IncomingMessage): Format {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-protobuf') return 'protobuf';
  throw new Refused(
    415,
    INVALID_ARGUMENT,
    `Content-Type ${JSON.stringify(type.slice(0, 60))} is not taken: send application/json or application/x-protobuf`,
  );
}

/** Sends the answer in the request's format: a JSON object, or its protobuf encoding. */
async function answer(
  res: ServerResponse,
  status: number,
  format: Format,
  body: { code?: number; message?: string },
): Promise<void> {
  let bytes: Uint8Array;
  if (format === 'protobuf') {
    const { encodeStatus } = await import('./otlp-protobuf.ts');
    bytes =
      status === 200 ? new Uint8Array(0) : encodeStatus(body.code ?? INTERNAL, body.message ?? '');
  } else bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': format === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    'content-length': bytes.length,
  });
  res.end(bytes);
}

/**
 * The `POST /v1/traces` route writing to the Trace `trace()` gives (undefined while the trace
 * service is not hosted yet: a 503). Spans decoded as Trace.Export's are: the same 400s.
 */
export function otlpReceiver(
  trace: () => Trace | undefined,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let format: Format = 'json';
    void (async () => {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        throw new Refused(405, INVALID_ARGUMENT, `${OTLP_TRACES_PATH} takes POST only`);
      }
      format = formatOf(req);
      const body = await decoded(req, await readBody(req));
      let request: unknown;
      if (format === 'json') {
        try {
          request = JSON.parse(body.toString('utf8'));
        } catch {
          throw new Refused(
            400,
            INVALID_ARGUMENT,
            'the body is not JSON (an OTLP JSON ExportTraceServiceRequest)',
          );
        }
      } else {
        const { decodeOtlpProtobuf } = await import('./otlp-protobuf.ts');
        request = decodeOtlpProtobuf(body);
      }
      const spans = decodeOtlpJson(request);
      const store = trace();
      if (!store) throw new Refused(503, UNAVAILABLE, 'the trace service is starting');
      await store.write(spans);
      await answer(res, 200, format, {});
    })().catch(async (err: unknown) => {
      if (res.headersSent) return;
      const refused =
        err instanceof Refused
          ? err
          : isErrorShape(err) && err.code === 400
            ? new Refused(400, INVALID_ARGUMENT, err.detail)
            : new Refused(500, INTERNAL, 'the spans could not be stored');
      if (refused.status === 413) res.setHeader('connection', 'close');
      await answer(res, refused.status, format, {
        code: refused.code,
        message: refused.message,
      }).catch(() => res.destroy());
    });
  };
}
