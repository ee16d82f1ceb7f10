/** What a listener allows each peer by default, and the errors a peer past a limit gets. */
import { MicroError } from '../errors.ts';
import type { ConnectionLimits } from './transport.ts';

const ID = 'micro.transport';
const MiB = 1024 * 1024;

/** The defaults: far above what a well-behaved client or gateway needs (docs/protocol.md, section 14). */
export const DEFAULT_LIMITS: Readonly<ConnectionLimits> = {
  maxFrameBytes: 16 * MiB,
  maxHeaderPairs: 256,
  maxHeaderBytes: 32 * 1024,
  maxCalls: 10_000,
  maxStreams: 1000,
  maxStreamBuffer: 16 * MiB,
  maxConnectionBuffer: 64 * MiB,
  maxWriteBuffer: 64 * MiB,
  maxConnectionsPerPeer: 1024,
  prefaceTimeout: 10_000,
  frameTimeout: 30_000,
  idleTimeout: 300_000,
};

/** The defaults with the given limits over them; a value that is not a number >= 0 keeps its default. */
export function connectionLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(limits) as (keyof ConnectionLimits)[]) {
    const v = given[key];
    if (typeof v === 'number' && v >= 0) limits[key] = v;
  }
  return limits;
}

/** 413: a frame, or what waits in a buffer, is larger than the limit. */
export const tooLarge = (detail: string): MicroError => new MicroError(ID, 413, detail);

/** 429: too many calls or streams at once on one connection. */
export const tooMany = (detail: string): MicroError => new MicroError(ID, 429, detail);

/** 431: a frame's header has too many pairs or bytes. */
export const headerTooLarge = (detail: string): MicroError => new MicroError(ID, 431, detail);
