import type { Registry } from '../registry/registry.ts';
import { defineCommand } from './shared/command.ts';
import { withConnection } from './shared/connect.ts';
import {
  callArgs,
  callOptions,
  givenInline,
  readMessage,
  stdinHasInput,
  stdinMessages,
} from './shared/input.ts';
import { json } from './shared/output.ts';

/** The endpoint's stream kind as advertised (`server`, `client`, `bidi`), when the registry knows it. */
async function advertisedKind(
  registry: Registry,
  service: string,
  endpoint: string,
): Promise<string | undefined> {
  try {
    for (const version of await registry.getService(service)) {
      const e = version.endpoints.find((x) => x.name === endpoint);
      if (e) return e.metadata?.stream ?? 'unary';
    }
  } catch {
    // Not found or unreachable: opening the stream reports it properly.
  }
  return undefined;
}

/** `micro stream SERVICE ENDPOINT [JSON]`: each response printed as one JSON line. */
export const streamCommand = defineCommand({
  command: 'stream <service> <endpoint> [json]',
  describe: 'Stream with an endpoint; a JSON line per response',
  builder: (y) =>
    callArgs(
      y,
      ['counter', 'Count.Up'],
      'the request JSON; without it, client and bidi streams send each line of stdin as one message',
    )
      .example('micro stream counter Count.Up \'{"n":3}\'', '')
      .example('printf \'{"n":1}\\n{"n":2}\\n\' | micro stream counter Count.Sum', ''),
  handler: async (args) => {
    const options = callOptions(args);
    const src = { argument: args.json, data: args.data };
    await withConnection(
      args,
      async ({ registry, client }) => {
        const kind =
          givenInline(src) || options.address
            ? undefined
            : await advertisedKind(registry, args.service, args.endpoint);
        // Client and bidi streams take many messages: one per line. Others take one request.
        const perLine =
          !givenInline(src) &&
          (kind === 'client' || kind === 'bidi' || (kind === undefined && stdinHasInput()));
        const single = perLine ? undefined : await readMessage(src);
        const stream = await client.stream(args.service, args.endpoint, options);
        const input: { error?: Error; sending: boolean } = { sending: true };
        void (async () => {
          try {
            if (perLine) for await (const m of stdinMessages()) stream.send(m);
            else stream.send(single);
            stream.end();
          } catch (err) {
            // A line that is not JSON ends the stream; a send that failed is reported by the responses.
            if ((err as { id?: string }).id === 'micro.cli') input.error = err as Error;
            stream.close();
          } finally {
            input.sending = false;
          }
        })();
        try {
          for await (const m of stream) process.stdout.write(`${json(m, false)}\n`);
        } catch (err) {
          throw input.error ?? err;
        }
        if (input.error) throw input.error;
        // The server finished first: stop reading stdin so the process can exit.
        if (input.sending) process.stdin.destroy();
      },
      { routed: true },
    );
  },
});
