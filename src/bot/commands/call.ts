// The bot's calls, as `micro call` and `micro stream`: call <service> <endpoint> [json] answers the
// response as JSON; stream <service> <endpoint> [json] sends the one request and answers a server
// stream's first messages, at most STREAM_MAX of them and for at most STREAM_MS (the stream is then
// closed: the service sees it cancelled). Both change state as far as the bot knows (a call may),
// so the safety checks apply. A request that is not JSON is a 400 saying so; a failing call throws
// the service's error as it came (a stream's error after some messages is an error part after
// them). Every call carries the command's signal.
import { toMicroError } from '../../runtime/errors.ts';
import type { Command, Part } from '../bot.ts';
import { BOT_ID, checkSignal, jsonArg, rest, usageError } from './parts.ts';

/** Messages of a stream answered at most. */
export const STREAM_MAX = 20;

/** Ms a stream is read for at most. */
export const STREAM_MS = 5000;

/** The service, the endpoint and the request (`{}` when none is given) of a call or stream. */
function callArgs(command: Command, args: string[]): [string, string, unknown] {
  const [service, endpoint] = args;
  if (service === undefined || endpoint === undefined)
    throw usageError(command, 'name a service and an endpoint');
  const text = rest(args, 2);
  return [service, endpoint, text === undefined ? {} : jsonArg(text, 'the request')];
}

/** `call <service> <endpoint> [json]`: one request, the response as JSON. */
export const call: Command = {
  name: 'call',
  pattern: /^(call|query)\b/i,
  usage: 'call <service> <endpoint> [json]',
  target: ([service, endpoint]) => `service:${service ?? ''}:${endpoint ?? ''}`,
  description: 'call an endpoint: call greeter Say.Hello {"name": "Ann"}',
  changes: true,
  async run(ctx, args) {
    const [service, endpoint, request] = callArgs(call, args);
    try {
      const response = await ctx.client.call(service, endpoint, request, { signal: ctx.signal });
      return [{ kind: 'json', value: response ?? null }];
    } catch (err) {
      checkSignal(ctx.signal);
      throw toMicroError(err, BOT_ID);
    }
  },
};

/** `stream <service> <endpoint> [json]`: the request sent, the first messages back. */
export const stream: Command = {
  name: 'stream',
  pattern: /^stream\b/i,
  usage: 'stream <service> <endpoint> [json]',
  target: ([service, endpoint]) => `service:${service ?? ''}:${endpoint ?? ''}`,
  description: `a server stream's first ${STREAM_MAX} messages (for ${STREAM_MS / 1000} s at most)`,
  changes: true,
  async run(ctx, args) {
    const [service, endpoint, request] = callArgs(stream, args);
    const s = await ctx.client
      .stream(service, endpoint, { signal: ctx.signal })
      .catch((err: unknown) => {
        checkSignal(ctx.signal);
        throw toMicroError(err, BOT_ID);
      });
    const got: unknown[] = [];
    let stopped: 'count' | 'time' | undefined;
    let failed: Part | undefined;
    const timer = setTimeout(() => {
      stopped = 'time';
      s.close();
    }, STREAM_MS);
    try {
      s.send(request);
      s.end();
      for await (const m of s) {
        got.push(m);
        if (got.length >= STREAM_MAX) {
          stopped = 'count';
          break;
        }
      }
    } catch (err) {
      // Closed by the timer: the stream's end is the command's own.
      if (stopped !== 'time') {
        checkSignal(ctx.signal);
        if (got.length === 0) throw toMicroError(err, BOT_ID);
        failed = { kind: 'error', error: toMicroError(err, BOT_ID).toJSON() };
      }
    } finally {
      clearTimeout(timer);
      s.close();
    }
    checkSignal(ctx.signal);
    const n = `${got.length} message${got.length === 1 ? '' : 's'}`;
    const more = `micro stream ${service} ${endpoint} shows every one`;
    const note =
      stopped === 'count'
        ? `the first ${n}; the stream goes on (${more})`
        : stopped === 'time'
          ? `${n} in ${STREAM_MS / 1000} s; the stream goes on (${more})`
          : failed
            ? `${n}, then the stream failed:`
            : `the stream ended after ${n}`;
    return [
      { kind: 'json', value: got },
      { kind: 'text', text: note },
      ...(failed ? [failed] : []),
    ];
  },
};

/** The call commands, in help order. */
export const callCommands: readonly Command[] = [call, stream];
