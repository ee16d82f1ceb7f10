/** Limits on what one request may hold, so that no request can keep the gateway busy for long. */
import { MicroError } from '../runtime/errors.ts';
import { MAX_JSON_DEPTH } from './nesting.ts';
import { GATEWAY_ID } from './proxy.ts';

/** The gateway's request limits; each default is far above what a normal request needs. */
export interface RequestLimits {
  /** Fields (`name=value` pairs, repeats counted) of a form body or query string (default 1000); more is 413 or 414. */
  fields: number;
  /** Nesting levels of JSON the gateway itself reads (default 256, as the sidecar); deeper is 400. */
  depth: number;
  /** Segments of a request path and of a declared route (default 128); more is 414, or the route is skipped. */
  segments: number;
  /** Characters of a request path, without the query (default 8192); more is 414. */
  pathLength: number;
  /** Characters of a service or endpoint name a request gives (default 256); more is 400. */
  nameLength: number;
}

/** The default request limits. */
export const LIMITS: Readonly<RequestLimits> = Object.freeze({
  fields: 1000,
  depth: MAX_JSON_DEPTH,
  segments: 128,
  pathLength: 8192,
  nameLength: 256,
});

/** 413, 414 or 400 for input over a limit; the detail names the limit and its value. */
export const overLimit = (code: 400 | 413 | 414, detail: string): MicroError =>
  new MicroError(GATEWAY_ID, code, `${detail} (a limit of the gateway)`);

/** The slashes in a path: its segment count; stops counting past max. */
export function segmentCount(path: string, max: number): number {
  let n = 0;
  for (let i = path.indexOf('/'); i >= 0 && n <= max; i = path.indexOf('/', i + 1)) n++;
  return n;
}

/** 414 when a request path is over the length or segment limit. */
export function checkPath(path: string, limits: RequestLimits): void {
  if (path.length > limits.pathLength)
    throw overLimit(414, `the path is longer than ${limits.pathLength} characters`);
  if (path.length > limits.segments && segmentCount(path, limits.segments) > limits.segments)
    throw overLimit(414, `the path has more than ${limits.segments} segments`);
}
