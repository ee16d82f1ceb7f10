// `micro new NAME -t pubsub`: a publisher and a queue-group subscriber. Kept as data.
import { serviceFiles } from './service.ts';

/** The scaffold of a publisher and a subscriber in one service: Events.Publish sends, the subscriber keeps what arrives. */
export function pubsubFiles(name: string): Record<string, string> {
  const topic = `${name}.events`;
  const base = serviceFiles(name);
  return {
    'main.ts': `// ${name}: publishes to and subscribes to ${topic}. Run it with \`micro run .\`, then
// micro call ${name} Events.Publish '{"id":"1","text":"hi"}' and micro call ${name} Events.Recent '{}'.
import { createService } from 'micro-ts';
import { Events, TOPIC, onEvent } from './handler.ts';

/** The service. Its type gives callers a typed client: \`client.service<typeof service>('${name}')\`. */
export const service = createService({ name: '${name}', version: '0.1.0' }).handle('Events', Events);
// A queue group: with several nodes running, each event reaches one of them.
service.subscribe(TOPIC, onEvent, { queue: '${name}' });

await service.run();
`,
    'handler.ts': `import { endpoint, type Context } from 'micro-ts';
import * as z from 'zod';

/** The topic this service publishes to and subscribes to. */
export const TOPIC = '${topic}';

/** An event on ${topic}. */
export const Event = z.object({ id: z.string().min(1), text: z.string().max(1000) });

/** An event as the subscriber kept it. */
export type Event = z.infer<typeof Event>;

/** The last events the subscriber received, oldest first (at most 100). */
const received: Event[] = [];

/** The Events handler: Events.Publish and Events.Recent. */
export const Events = {
  /** Publishes the event to ${topic}; every subscriber (one per queue group) receives it. */
  Publish: endpoint(
    { request: Event, response: z.object({ published: z.string() }) },
    async (req, ctx) => {
      await ctx.publish(TOPIC, req);
      return { published: req.id };
    },
  ),
  /** The events this node's subscriber has received. */
  Recent: endpoint(
    { request: z.object({}), response: z.object({ events: z.array(Event) }) },
    async () => ({ events: [...received] }),
  ),
};

/** Runs for each message on ${topic}: checked, not trusted, and kept. */
export async function onEvent(message: unknown, ctx: Context): Promise<void> {
  const event = Event.safeParse(message);
  if (!event.success) {
    console.warn(\`ignored a malformed event from \${ctx.from ?? 'someone'}\`);
    return;
  }
  received.push(event.data);
  if (received.length > 100) received.shift();
}
`,
    'handler.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryRegistry, createService } from 'micro-ts';
import { Events, TOPIC, onEvent } from './handler.ts';

test('an event published through Events.Publish reaches the subscriber', async () => {
  const service = createService({
    name: '${name}',
    address: '127.0.0.1:0',
    registry: createMemoryRegistry(),
    handleSignals: false,
  }).handle('Events', Events);
  const arrived = new Promise<void>((resolve) =>
    service.subscribe(TOPIC, async () => resolve(), { queue: 'test-probe' }),
  );
  service.subscribe(TOPIC, onEvent, { queue: '${name}' });
  await service.start();
  try {
    const events = service.client.service<typeof service>('${name}').Events;
    assert.deepEqual(await events.Publish({ id: '1', text: 'hi' }), { published: '1' });
    await arrived;
    const { events: recent } = await events.Recent({});
    assert.deepEqual(recent, [{ id: '1', text: 'hi' }]);
  } finally {
    await service.stop();
  }
});
`,
    'package.json': base['package.json'] as string,
    'tsconfig.json': base['tsconfig.json'] as string,
    'README.md': `# ${name}

A micro service that publishes and subscribes: \`Events.Publish\` takes \`{"id": "1", "text": "hi"}\`
and publishes it to \`${topic}\`; the subscriber (queue group \`${name}\`, so with several nodes one
of them gets each event) keeps the last 100, which \`Events.Recent\` returns.

\`\`\`sh
micro run .
micro call ${name} Events.Publish '{"id":"1","text":"hi"}'
micro publish ${topic} '{"id":"2","text":"from the CLI"}'
micro call ${name} Events.Recent '{}'
micro test
\`\`\`

Zod schemas type and check the requests and the events (\`handler.ts\`); for types in an editor,
\`npm install -D /path/to/micro zod @types/node typescript\` and \`npm run typecheck\`.
`,
  };
}
