// A running bot as the views' tests see one (issue 22): a real micro service named `bot` answering
// `Bot.Status` with a fixed BotStatus (the stand-in for `micro bot`), and the audit events of the
// commands it ran (`micro.audit`, source bot).
import type { AuditEvent } from '../../src/platform/audit/audit.ts';
import { BOT_SERVICE, type BotStatus } from '../../src/bot/bot.ts';
import type { Registry, Service } from '../../src/runtime/index.ts';
import { auditEvent } from './audit-events.ts';
import { quietService } from './fixtures.ts';

/** When the stand-in bot says it started: 2026-12-08 09:00:00 UTC. */
export const STARTED = Date.UTC(2026, 11, 8, 9, 0, 0);

/** A bot with a connected xmpp input, a reconnecting slack one, two built-in commands and a service's. */
export function botStatus(over: Partial<BotStatus> = {}): BotStatus {
  return {
    started: STARTED,
    inputs: [
      {
        name: 'xmpp',
        connected: true,
        since: STARTED + 1000,
        detail: 'xmpp://127.0.0.1:5222 as bot@localhost',
      },
      {
        name: 'slack',
        connected: false,
        since: STARTED + 2000,
        detail: 'reconnecting: ECONNREFUSED',
      },
    ],
    commands: [
      { name: 'help', usage: 'help', description: 'Lists the commands', changes: false },
      {
        name: 'call',
        usage: 'call <service> <endpoint> [json]',
        description: 'Calls an endpoint',
        changes: true,
      },
      {
        name: 'deploy',
        usage: 'deploy <service> <version>',
        description: 'Deploys a version',
        changes: true,
        service: 'deployer',
      },
    ],
    handled: 7,
    failed: 2,
    ...over,
  };
}

/** Starts a service `bot` on 127.0.0.1 whose Bot.Status answers `status()` (read at each call). */
export async function startStandInBot(
  registry: Registry,
  status: () => unknown,
  id?: string,
): Promise<Service> {
  const bot = quietService({
    name: BOT_SERVICE,
    version: '1.0.0',
    registry,
    address: '127.0.0.1:0',
    ...(id && { id }),
  });
  bot.handle('Bot', { Status: async () => status() });
  await bot.start();
  return bot;
}

/** A command the bot ran, as the control plane publishes it: alice over xmpp called greeter. */
export function botAuditEvent(over: Partial<AuditEvent> = {}): AuditEvent {
  return auditEvent({
    source: 'bot',
    actor: 'xmpp:alice@localhost',
    action: 'call',
    target: 'service:greeter:Say.Hello',
    labels: { input: 'xmpp', room: 'alice@localhost' },
    reporter: 'bot',
    ...over,
  });
}
