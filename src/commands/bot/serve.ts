// Runs `micro bot`: its flags into the MICRO_BOT_* variables they stand for, checked before
// anything connects; then the registry and a long-lived client (a watching selector, the CLI's
// token, the broker for publishes) and botFromEnv over them, until every input has ended (stdin at
// the end of its input) or SIGINT/SIGTERM. Guarantees: replies are the only thing on stdout (what
// the bot says goes to stderr); everything opened is closed on the way out, whatever the way.
import type { Args } from '../shared/command.ts';

/** Says something on stderr. */
const say = (message: string): void => void process.stderr.write(`micro bot: ${message}\n`);

/** The flags of `micro bot` by name (`bot-rate`), with their short names (`rate`). */
export type BotFlags = Readonly<Record<string, { alias?: string }>>;

/**
 * The environment with each flag given on the command line as its variable (`bot-rate` ->
 * MICRO_BOT_RATE). Only the command line's: the CLI also reads a short name's MICRO_ variable
 * (MICRO_TIMEOUT, which is `micro call`'s), which is not the bot's setting.
 */
export function botEnv(
  args: Record<string, unknown>,
  flags: BotFlags,
  argv: readonly string[] = process.argv.slice(2),
): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const given = (names: string[]): boolean =>
    argv.some((a) => names.some((n) => a === `--${n}` || a.startsWith(`--${n}=`)));
  for (const [name, { alias }] of Object.entries(flags)) {
    const value = args[name];
    if (value === undefined || !given(alias ? [name, alias] : [name])) continue;
    // A flag given twice is a list: `--allow a --allow b` is `a,b`.
    const text = Array.isArray(value) ? value.join(',') : `${value as string | number}`;
    env[`MICRO_${name.toUpperCase().replaceAll('-', '_')}`] = text;
  }
  return env;
}

/** Runs the bot until its inputs end or a signal comes. */
export async function serveBot(args: Args<object>, flags: BotFlags): Promise<void> {
  const env = botEnv(args, flags);
  const bot = await import('../../bot/index.ts');
  // A bad setting is its one-line error, before anything connects.
  bot.botSettingsFromEnv(env, bot.inputs);
  const [
    { openBroker, openRegistry, openTransport, tokenFor },
    { createClient },
    { createSelector },
    { connectOnPublish },
    { bearerOptions },
    { untilSignal },
    { resiliencyPolicy },
  ] = await Promise.all([
    import('../shared/connect.ts'),
    import('../../runtime/client/rpc-client.ts'),
    import('../../runtime/selector/cache.ts'),
    import('../../runtime/broker/index.ts'),
    import('../shared/auth-token.ts'),
    import('../shared/signals.ts'),
    import('../shared/resiliency.ts'),
  ]);
  const policy = await resiliencyPolicy(undefined);
  const token = await tokenFor(args, {});
  const registry = await openRegistry(args, { token: token ?? false });
  const broker = await openBroker(args, registry);
  // Long-lived, as the gateway's: its selector watches the registry; services see it as micro-bot.
  const client = createClient({
    registry,
    transport: await openTransport(args),
    selector: createSelector({ registry, policy }),
    broker: connectOnPublish(broker),
    policy,
    name: 'micro-bot',
    ...(token && bearerOptions(async () => token)),
  });
  const logger = { info: say, warn: say };
  const signalled = untilSignal();
  // What fails once the bot is closing (a registry read cut short) is not news.
  let closing = false;
  try {
    registry.listServices().catch((err: Error) => {
      if (!closing) say(`${err.message}; commands that read it fail until it answers`);
    });
    const { createServiceCommands: services } = await import('../../bot/services.ts');
    const running = await bot.botFromEnv({ registry, client, env, logger, services });
    // Seen by `micro bot status`, the dashboard and the explorer as the service `bot`.
    const status = bot.keepBotStatus({ bot: running, registry, logger });
    try {
      const names = running.inputs.map((i) => i.name).join(', ');
      say(`connected: ${names} (registry: ${registry.name} at ${registry.address ?? '-'})`);
      if (running.inputs.some((i) => i.name === 'stdin') && process.stdin.isTTY)
        say('type a command (help lists them); Ctrl-D ends');
      const ended = await Promise.race([running.ended.then(() => true), signalled]);
      // A script's bot (stdin to its end) exits 1 when a command failed, as a CLI command would.
      const failed = running.status().failed ?? 0;
      if (ended === true && failed > 0 && !process.stdin.isTTY) {
        say(`${failed} ${failed === 1 ? 'command' : 'commands'} failed`);
        process.exitCode = 1;
      }
    } finally {
      await status.close();
      await running.close();
    }
  } finally {
    closing = true;
    await client.close();
    await broker.disconnect();
    await registry.close();
  }
}
