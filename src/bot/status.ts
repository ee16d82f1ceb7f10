// The bot as a service: a running bot registers as `bot` (BOT_SERVICE) with one endpoint,
// `Bot.Status` (its inputs, the commands it knows, how many it ran), so that `micro bot status`,
// the dashboard and the explorer see every running bot, one node each. It serves nothing else: a
// command is run only through an input, where the safety checks apply.
// Guarantees: idempotent reads; the node is deregistered when closed; keepBotStatus registers it
// once the registry answers, however late.
import type { Registry } from '../registry/registry.ts';
import { endpoint } from '../runtime/server/declare.ts';
import { createService, type Service } from '../runtime/service.ts';
import { createBackoff } from '../proxy/backoff.ts';
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
  const service = statusService(o);
  await service.start();
  return { close: () => service.stop() };
}

/**
 * Like serveBotStatus, but a registry that cannot be reached now is tried again (1 s, doubling to
 * 30 s) until the node registers or close() is called: a bot started before its control plane is
 * still seen once the control plane is up.
 */
export function keepBotStatus(o: BotStatusOptions): { close(): Promise<void> } {
  let service: Service | undefined;
  let closed = false;
  let tries = 0;
  const attempt = (): void => {
    const s = statusService(o);
    service = s;
    s.start().then(
      () => {
        if (tries > 0) o.logger?.info(`registered as the service ${BOT_SERVICE}`);
        if (closed) void s.stop();
      },
      (err: Error) => {
        if (tries++ === 0)
          o.logger?.warn(
            `not registered as the service ${BOT_SERVICE} yet (${err.message}); trying again`,
          );
        void s.stop().catch(() => undefined);
        if (service === s) service = undefined;
        backoff.schedule();
      },
    );
  };
  const backoff = createBackoff(() => !closed && attempt(), 30_000, 1_000);
  attempt();
  return {
    async close() {
      closed = true;
      backoff.stop();
      await service?.stop();
    },
  };
}

/** The `bot` service, not started. */
function statusService(o: BotStatusOptions): Service {
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
  return service;
}
