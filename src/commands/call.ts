import { defineCommand } from './shared/command.ts';
import { withConnection } from './shared/connect.ts';
import { callArgs, callOptions, readMessage } from './shared/input.ts';
import { json } from './shared/output.ts';

/** `micro call SERVICE ENDPOINT [JSON]`: one request, the response printed as JSON. */
export const callCommand = defineCommand({
  command: 'call <service> <endpoint> [json]',
  describe: 'Call an endpoint and print the response JSON',
  builder: (y) =>
    callArgs(
      y,
      ['greeter', 'Say.Hello'],
      'the request JSON; else -d, or stdin when it is not a terminal; {} when none',
    )
      .example('micro call greeter Say.Hello \'{"name":"Ann"}\'', '')
      .example('micro call greeter Say.Hello -d @request.json --metadata user=ann', '')
      .example('echo \'{"name":"Ann"}\' | micro call greeter Say.Hello', ''),
  handler: async (args) => {
    const options = callOptions(args);
    const request = await readMessage({ argument: args.json, data: args.data });
    const response = await withConnection(
      args,
      ({ client }) => client.call(args.service, args.endpoint, request, options),
      { routed: true },
    );
    process.stdout.write(`${json(response)}\n`);
  },
});
