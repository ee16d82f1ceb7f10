// What the built-in commands share: their error id, the bound on rows, a table cut with a note, the
// JSON arguments read with a 400 that says what is wrong, a usage error, registry failures with
// their wire codes, and the bot's client with the command's signal on every call (so a command's
// time running out, or the bot stopping, cancels what it waits for).
import { printable } from '../../registry/printable.ts';
import { RegistryError, RegistryErrors } from '../../registry/registry.ts';
import type { CallOptions, Client } from '../../runtime/client/client.ts';
import { badRequest, MicroError, toMicroError } from '../../runtime/errors.ts';
import type { Answer, Command, Part } from '../bot.ts';

/** The id of the errors the built-in commands raise. */
export const BOT_ID = 'micro.bot';

/** Rows one table of an answer holds at most; the rest are counted in a note. */
export const MAX_ROWS = 200;

/** Characters of a value shown in a table cell at most. */
export const MAX_CELL = 80;

/** A table of at most MAX_ROWS rows, with a note saying how many more there are and where to see them. */
export function tableOf(header: string[], rows: string[][], more: string): Answer {
  const shown = rows.slice(0, MAX_ROWS);
  const parts: Part[] = [{ kind: 'table', header, rows: shown }];
  if (rows.length > shown.length)
    parts.push({ kind: 'text', text: `… and ${rows.length - shown.length} more (${more})` });
  return parts;
}

/** A value on one line, cut to MAX_CELL characters. */
export function cell(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 3)}...` : text;
}

/** A 400 saying how to write the command. */
export function usageError(command: Pick<Command, 'usage'>, problem: string): MicroError {
  return badRequest(BOT_ID, `${problem}: write ${command.usage}`);
}

/** The words of `args` from `from` on as one JSON text (a JSON value split by mistake is joined again). */
export const rest = (args: readonly string[], from: number): string | undefined =>
  args.length > from ? args.slice(from).join(' ') : undefined;

/** Parses a JSON argument; a 400 naming `what` and the parser's complaint when it is not JSON. */
export function jsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const shown = printable(text.length > 60 ? `${text.slice(0, 57)}...` : text, false);
    throw badRequest(
      BOT_ID,
      `${what} is not valid JSON (${(err as Error).message}): ${shown}; write it as {"name": "Ann"}`,
    );
  }
}

/** A JSON argument, or text that is not JSON and does not start like it (`[`, `{`, `"`) taken as a string, as the CLI's `set` does. */
export function valueArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (!/^\s*[[{"]/.test(text)) return text;
    return jsonArg(text, what);
  }
}

/** Registry failures with their wire codes (not found 404, invalid 400, refused 401/403, else 503); the rest as MicroError. */
export function asMicroError(err: unknown): MicroError {
  if (err instanceof RegistryError) {
    const codes: Record<string, number> = {
      [RegistryErrors.notFound]: 404,
      [RegistryErrors.invalid]: 400,
      [RegistryErrors.unauthorized]: 401,
      [RegistryErrors.forbidden]: 403,
    };
    return new MicroError('micro.registry', codes[err.code] ?? 503, err.message);
  }
  if (err instanceof TypeError) return badRequest(BOT_ID, err.message);
  return toMicroError(err, BOT_ID);
}

/** Runs fn, its failures thrown as MicroError (see asMicroError). */
export async function orMicroError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asMicroError(err);
  }
}

/** A 499 when the command was cancelled (its time is up, or the bot is stopping). */
export function checkSignal(signal: AbortSignal): void {
  if (signal.aborted)
    throw new MicroError(
      BOT_ID,
      499,
      'the command was cancelled: its time ran out or the bot is stopping',
    );
}

/** The client with `signal` on every call and stream it makes (a platform area's client calls through it). */
export function signalled(client: Client, signal: AbortSignal): Client {
  return {
    call: <T>(service: string, endpoint: string, request: unknown, options?: CallOptions) =>
      client.call<T>(service, endpoint, request, { ...options, signal }),
    request: <T>(service: string, endpoint: string, request: unknown, options?: CallOptions) =>
      client.request<T>(service, endpoint, request, { ...options, signal }),
    stream: <Req, Rsp>(service: string, endpoint: string, options?: CallOptions) =>
      client.stream<Req, Rsp>(service, endpoint, { ...options, signal }),
    service: <T>(name: string) => client.service<T>(name),
    publish: (topic, message, options) => client.publish(topic, message, options),
    // The bot's client is the bot's to close, not a command's.
    close: async () => {},
  };
}
