import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Argv } from 'yargs';
import type { Service } from '../../registry/registry.ts';
import { serviceRecords } from '../../registry/util.ts';
import type { CallOptions } from '../../runtime/client/client.ts';
import { badRequest } from '../../runtime/errors.ts';
import type { GlobalArgs } from './options.ts';

const ID = 'micro.cli';

/** Options every command that sends a message shares: -d, --metadata, --content-type. */
export const messageOptions = {
  data: {
    alias: 'd',
    type: 'string',
    describe: 'the request as JSON, or @file to read it from a file (@- for stdin) [MICRO_DATA]',
  },
  metadata: {
    alias: 'm',
    type: 'string',
    array: true,
    describe:
      'metadata to send, k=v; repeat the flag or separate pairs with commas [MICRO_METADATA]',
  },
  'content-type': {
    type: 'string',
    describe:
      'content type of the request: application/json or application/msgpack [MICRO_CONTENT_TYPE]',
  },
} as const;

/** Turns `k=v` pairs (repeated, or comma separated as in MICRO_METADATA) into a metadata map. */
export function parseMetadata(
  pairs: readonly string[] | string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  const list = pairs === undefined ? [] : typeof pairs === 'string' ? [pairs] : pairs;
  for (const item of list) {
    // Split on commas that start a new `key=`, so a value may itself contain commas.
    for (const pair of String(item).split(/,(?=[^,=]+=)/)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw badRequest(ID, `metadata "${pair}" is not k=v (e.g. --metadata user=ann)`);
      out[pair.slice(0, eq).trim().toLowerCase()] = pair.slice(eq + 1);
    }
  }
  return out;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds from `1500`, `1500ms`, `2s`, `1.5m` or `1h`; undefined stays undefined. */
export function parseDuration(
  value: string | number | undefined,
  flag = 'timeout',
): number | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(value));
  if (!m)
    throw badRequest(
      ID,
      `--${flag} "${value}" is not a duration: use ms or a unit, e.g. 500, 2s, 1m`,
    );
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 'ms'] ?? 1));
}

/** A duration for people: `800 ms`, `30s`, `2m`, `1.5h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const)
    if (ms >= size && ms % (size / 10) === 0) return `${ms / size}${unit}`;
  return `${ms / 1000}s`;
}

/** JSON.parse, refusing numbers JSON cannot carry (1e999 is Infinity, which would travel as null). */
function parseFinite(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v))
      throw new SyntaxError('a number is too large for JSON (it would be sent as null)');
    return v;
  });
}

/** Parses JSON text, with an error that says where it came from and what was wrong. */
export function parseJson(text: string, source: string): unknown {
  if (text.trim() === '') return {};
  try {
    return parseFinite(text);
  } catch (err) {
    throw badRequest(
      ID,
      `malformed JSON in ${source}: ${(err as Error).message}; the request must be JSON, e.g. '{"name":"Ann"}'`,
    );
  }
}

/**
 * A VALUE argument (micro store put, micro config set): JSON when it parses, a bare word as a
 * string, and `-` for standard input. Text that looks like JSON (starts with `{`, `[` or `"`) but
 * does not parse is a 400 rather than a string, so a typo is not stored. With refuseEmpty, blank
 * text (an empty stdin, '') is a 400 instead of the empty string.
 */
export async function parseValue(
  given: unknown,
  what = 'the value',
  options: { refuseEmpty?: boolean } = {},
): Promise<unknown> {
  // yargs reads a lone `-` as an empty flag, so the command line says whether one was given.
  const dash = given === '-' || ((given === '' || given === true) && process.argv.includes('-'));
  const text = dash ? (await readStdin()).trim() : String(given);
  if (options.refuseEmpty && text.trim() === '')
    throw badRequest(ID, `${what} was empty: give JSON, or a bare word for a string`);
  try {
    return parseFinite(text);
  } catch (err) {
    if (!/^\s*[[{"]/.test(text) && !(err as Error).message.includes('too large')) return text;
    throw badRequest(
      ID,
      `${what} is not valid JSON: ${(err as Error).message}; give JSON, or a bare word for a string`,
    );
  }
}

/** All of standard input as text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** True when a request may come from standard input: it is a pipe or a file, not a terminal. */
export function stdinHasInput(): boolean {
  return !process.stdin.isTTY;
}

/** Where a message comes from: a positional argument, -d (`@file`, `@-`), or stdin. */
export interface MessageSource {
  argument?: string;
  data?: string;
}

/** True when the message was given on the command line (argument or -d). */
export function givenInline(src: MessageSource): boolean {
  return src.argument !== undefined || src.data !== undefined;
}

/** Reads the message from the argument, -d, or stdin when it is not a terminal; `{}` when none. */
export async function readMessage(src: MessageSource): Promise<unknown> {
  if (src.argument !== undefined && src.data !== undefined)
    throw badRequest(ID, 'give the request either as an argument or with -d, not both');
  if (src.argument !== undefined) return parseJson(src.argument, 'the request argument');
  if (src.data !== undefined) {
    if (src.data === '@-') return parseJson(await readStdin(), 'standard input');
    if (src.data.startsWith('@')) {
      const file = src.data.slice(1);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw badRequest(ID, `cannot read the request from ${file}: ${e.code ?? e.message}`);
      }
      return parseJson(text, file);
    }
    return parseJson(src.data, '-d');
  }
  if (stdinHasInput()) return parseJson(await readStdin(), 'standard input');
  return {};
}

/** Each non-blank line of stdin, parsed as JSON: for client and bidirectional streams. */
export async function* stdinMessages(): AsyncGenerator<unknown> {
  let n = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    yield parseJson(line, `line ${n} of standard input`);
  }
}

/** The flags of commands that call an endpoint: --timeout and --address besides the message's. */
export const callFlags = {
  ...messageOptions,
  timeout: {
    alias: 't',
    type: 'string',
    describe: 'how long to wait, in ms or with a unit (500, 2s, 1m) [MICRO_TIMEOUT]',
  },
  address: {
    type: 'string',
    describe:
      'call this node (host:port) directly instead of looking the service up [MICRO_ADDRESS]',
  },
} as const;

/**
 * The arguments of call and stream: SERVICE ENDPOINT [JSON] and callFlags; `example` names a
 * service and an endpoint for the help, `json` says what the JSON argument is.
 */
export const callArgs = (y: Argv<GlobalArgs>, example: [string, string], json: string) =>
  y
    .positional('service', { type: 'string', demandOption: true, describe: `e.g. ${example[0]}` })
    .positional('endpoint', { type: 'string', demandOption: true, describe: `e.g. ${example[1]}` })
    .positional('json', { type: 'string', describe: json })
    .options(callFlags);

/** The parsed values of callFlags. */
export interface CallFlags {
  data?: string;
  metadata?: string[];
  contentType?: string;
  timeout?: string;
  address?: string;
}

/** Call options from the flags: timeout, address, metadata and content type. */
export function callOptions(flags: CallFlags): CallOptions {
  const o: CallOptions = {};
  const timeout = parseDuration(flags.timeout);
  if (timeout !== undefined) o.timeout = timeout;
  if (flags.address) o.address = flags.address;
  const metadata = parseMetadata(flags.metadata);
  if (Object.keys(metadata).length > 0) o.metadata = metadata;
  if (flags.contentType) o.contentType = flags.contentType;
  return o;
}

/** Reads one service record (or an array of them) and fills in what a loosely written one leaves out. */
export async function readServices(src: MessageSource): Promise<Service[]> {
  const value = await readMessage(src);
  try {
    return serviceRecords(value);
  } catch (err) {
    throw badRequest(ID, (err as Error).message);
  }
}
