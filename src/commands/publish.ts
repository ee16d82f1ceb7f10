import { defineCommand } from './shared/command.ts';
import { withConnection } from './shared/connect.ts';
import { messageOptions, parseMetadata, readMessage } from './shared/input.ts';
import { printable } from '../registry/printable.ts';
import { print } from './shared/output.ts';

/** `micro publish TOPIC JSON`: one message to a topic's subscribers through the broker. */
export const publishCommand = defineCommand({
  command: 'publish <topic> [json]',
  describe: 'Publish a JSON message to a topic',
  builder: (y) =>
    y
      .positional('topic', { type: 'string', demandOption: true, describe: 'e.g. events' })
      .positional('json', {
        type: 'string',
        describe: 'the message JSON; else -d, or stdin when it is not a terminal',
      })
      .options(messageOptions)
      .example('micro publish events \'{"kind":"signup","user":"ann"}\'', ''),
  handler: async (args) => {
    const message = await readMessage({ argument: args.json, data: args.data });
    const metadata = parseMetadata(args.metadata);
    if (args.broker !== 'http') {
      // Other brokers keep their subscribers to themselves: no count to give.
      await withConnection(args, ({ client }) =>
        client.publish(args.topic, message, { metadata, contentType: args.contentType }),
      );
      print(
        args.output,
        { topic: args.topic, broker: args.broker },
        () => `published to ${args.topic} through the ${args.broker} broker`,
      );
      return;
    }
    const { topicService } = await import('../runtime/broker/http.ts');
    const { RegistryErrors } = await import('../registry/registry.ts');
    const { subscribers, where } = await withConnection(args, async ({ registry, client }) => {
      // Asked first so that an unreachable registry fails here: the http broker drops silently.
      const groups = await registry.getService(topicService(args.topic)).catch((err: unknown) => {
        if ((err as { code?: string }).code === RegistryErrors.notFound) return [];
        throw err;
      });
      await client.publish(args.topic, message, { metadata, contentType: args.contentType });
      const n = groups.reduce((sum, g) => sum + g.nodes.length, 0);
      return { subscribers: n, where: `${registry.name} at ${registry.address}` };
    });
    if (subscribers === 0) {
      process.stderr.write(
        printable(
          `no subscriber to ${args.topic} in the registry (${where}): the message was dropped; the broker delivers at most once, to the subscribers present now\n`,
        ),
      );
    }
    print(
      args.output,
      { topic: args.topic, subscribers },
      (r: { subscribers: number }) =>
        `published to ${args.topic} (${r.subscribers} subscriber${r.subscribers === 1 ? '' : 's'})`,
    );
  },
});
