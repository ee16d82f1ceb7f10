// The bot as a service: a running bot registers as `bot` (BOT_SERVICE) with one endpoint,
// `Bot.Status` (its inputs, the commands it knows, how many it ran), so that `micro bot status`,
// the dashboard and the explorer see every running bot, one node each. It serves nothing else: a
// command is run only through an input, where the safety checks apply.
// Guarantees: idempotent reads; the node is deregistered when closed.
import type { Registry } from '../registry/registry.ts';
import { endpoint } from '../runtime/server/declare.ts';
import { createService } from '../runtime/service.ts';
import { BOT_SERVICE, type Bot, type BotLogger, type BotStatus } from './bot.ts';

/** The JSON Schema of BotStatus, advertised in the registry. */
const STATUS_SCHEMA = {
  type: 'object',
  properties: {
    started: { type: 'number', description: 'when the bot started, ms since the epoch' },
    inputs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          connected: { type: 'boolean' },
          since: { type: 'number' },
          detail: { type: 'string' },
        },
      },
    },
    commands: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          usage: { type: 'string' },
          description: { type: 'string' },
          changes: { type: 'boolean' },
          service: { type: 'string' },
        },
      },
    },
    handled: { type: 'number', description: 'commands run since it started' },
  },
} as const;

/** What serveBotStatus takes. */
export interface BotStatusOptions {
  /** The bot whose status is served. */
  bot: Pick<Bot, 'status'>;
  /** Where the node registers. */
  registry: Registry;
  /** `host:port` to bind (default 127.0.0.1:0). */
  address?: string;
  /** Where the service says what goes wrong. */
  logger?: BotLogger;
}

/** Registers the bot as the service `bot` serving Bot.Status; close() deregisters it. */
export async function serveBotStatus(o: BotStatusOptions): Promise<{ close(): Promise<void> }> {
  const warn = (m: string): void => o.logger?.warn(m);
  const service = createService({
    name: BOT_SERVICE,
    registry: o.registry,
    address: o.address ?? '127.0.0.1:0',
    handleSignals: false,
    logger: { info() {}, warn, error: warn },
  });
  service.handle('Bot', {
    Status: endpoint(
      {
        response: STATUS_SCHEMA,
        idempotent: true,
        metadata: { description: "the bot's inputs, the commands it knows, how many it ran" },
      },
      async (): Promise<BotStatus> => o.bot.status(),
    ),
  });
  await service.start();
  return { close: () => service.stop() };
}
