// The bot (issue 22): botFromEnv starts `micro bot` from its MICRO_BOT_* settings (settings.ts):
// the inputs named by MICRO_BOT_INPUTS from the inputs table, the audit MICRO_AUDIT names, the
// roles of chat users from the auth area's accounts (metadata `chat`), and the commands. The parts
// are exported for programs that build a bot of their own.
//
// Guarantees: a bad setting is a TypeError naming its variable, before any input connects; what it
// opened (the audit it made) is closed with the bot. Limits: those of the parts (core.ts, safety.ts).
import type { Audit } from '../platform/audit/audit.ts';
import type { Registry } from '../registry/registry.ts';
import type { Client } from '../runtime/client/client.ts';
import type { Bot, BotLogger, ChatUser, Command, Input, InputFactory } from './bot.ts';
import { builtinCommands } from './commands/index.ts';
import { createBot } from './core.ts';
import { inputs as inputTable } from './inputs/index.ts';
import { botSettingsFromEnv } from './settings.ts';

export type * from './bot.ts';
export { BOT_DEFAULTS } from './bot.ts';
export { createBot, MAX_RUNNING } from './core.ts';
export { formatAnswer } from './format.ts';
export { keepBotStatus, serveBotStatus } from './status.ts';
export { splitArgs } from './args.ts';
export { createSafety, type Safety } from './safety.ts';
export { rolesFromAccounts } from './roles.ts';
export { botSettingsFromEnv, DEFAULT_INPUTS, type BotSettings } from './settings.ts';
export { inputTable as inputs };

/** Commands provided by services: what createServiceCommands (services.ts) returns. */
export interface ServiceCommands {
  /** The commands known now. */
  commands(): Command[];
  /** Resolves once the commands services provide at start are known (bounded); awaited before the inputs start. */
  ready?: Promise<void>;
  /** Stops watching the registry. */
  close(): void;
}

/** What a ServiceCommands factory is given. */
export interface ServiceCommandsOptions {
  registry: Registry;
  client: Client;
  helpEndpoint: string;
  execEndpoint: string;
  logger: BotLogger;
  /** The built-in commands: a service command one of them matches is left out. */
  builtins: readonly Command[];
  /** Ms a command may take (MICRO_BOT_TIMEOUT). */
  timeout: number;
}

/** What botFromEnv takes. */
export interface BotFromEnvOptions {
  /** The registry the bot lists and watches. */
  registry: Registry;
  /** The client its calls (and the audit's and the auth area's) go through. */
  client: Client;
  /** MICRO_BOT_*, MICRO_AUDIT*, MICRO_AUTH_* and each input's settings. */
  env: NodeJS.ProcessEnv;
  /** Where the bot and its inputs say what goes wrong. */
  logger: BotLogger;
  /** The inputs table (default src/bot/inputs). */
  inputs?: Readonly<Record<string, InputFactory>>;
  /** The audit (default auditFromEnv: the control plane's `audit` service). */
  audit?: Audit;
  /** A chat user's roles (default: from the auth area's accounts, see roles.ts). */
  rolesOf?: (user: ChatUser) => Promise<readonly string[]>;
  /** The built-in commands (default the whole table). */
  commands?: Command[];
  /** Makes the service-provided commands (src/bot/services.ts createServiceCommands); none without it. */
  services?: (o: ServiceCommandsOptions) => ServiceCommands;
}

/** A bot started from the environment, with its inputs. */
export interface RunningBot extends Bot {
  /** The inputs it serves, in the order MICRO_BOT_INPUTS named them. */
  readonly inputs: readonly Input[];
  /** Resolves once every input has ended (only stdin ends, at the end of its input); else never. */
  readonly ended: Promise<void>;
}

/** Starts the bot MICRO_BOT_* describe; rejects with a TypeError naming a bad variable, or an input's failure to start. */
export async function botFromEnv(o: BotFromEnvOptions): Promise<RunningBot> {
  const settings = botSettingsFromEnv(o.env, o.inputs ?? inputTable);
  const inputs = settings.inputs.map(([, make]) => make(o.env, o.logger));
  const ownAudit = o.audit
    ? undefined
    : (await import('../platform/audit/index.ts')).auditFromEnv(o.env, {
        client: o.client,
        logger: o.logger,
      });
  const rolesOf = o.rolesOf ?? (await authRoles(o.env, o.client));
  const services = o.services?.({
    registry: o.registry,
    client: o.client,
    helpEndpoint: settings.helpEndpoint,
    execEndpoint: settings.execEndpoint,
    logger: o.logger,
    builtins: o.commands ?? builtinCommands(),
    timeout: settings.timeout,
  });
  // Known before the first message: a script's first line may be a service's command.
  await services?.ready;
  try {
    const bot = await createBot({
      ...settings,
      inputs,
      registry: o.registry,
      client: o.client,
      logger: o.logger,
      rolesOf,
      audit: o.audit ?? ownAudit,
      ...(o.commands && { commands: o.commands }),
      ...(services && { services }),
    });
    const ends = inputs.map((i) => i.ended);
    const ended = ends.every((e) => e !== undefined)
      ? Promise.all(ends).then(() => undefined)
      : new Promise<void>(() => undefined);
    return {
      ...bot,
      inputs,
      ended,
      async close() {
        await bot.close();
        await ownAudit?.close();
      },
    };
  } catch (err) {
    await ownAudit?.close();
    throw err;
  }
}

/** rolesOf over the auth area MICRO_AUTH_* name (the control plane's, through the client). */
async function authRoles(env: NodeJS.ProcessEnv, client: Client) {
  const [{ authFromEnv }, { rolesFromAccounts }] = await Promise.all([
    import('../platform/auth/index.ts'),
    import('./roles.ts'),
  ]);
  const auth = authFromEnv(env, { client });
  return rolesFromAccounts(() => auth.listAccounts());
}
