// `micro bot`: a chat bot inside the platform (docs/bot.md). It reads commands from Slack, XMPP or
// the terminal (`--inputs`, default stdin), runs them against the registry, the services and the
// platform, and replies formatted for the medium. Every flag is also its MICRO_BOT_* variable.
// `micro bot status` and `micro bot audit` show the running bots and the commands they ran.
import { botAuditCommand, botStatusCommand } from './bot/subcommands.ts';
import { defineCommand } from './shared/command.ts';

/** A flag of `micro bot`: a string, also read from its MICRO_ variable. */
const flag = (describe: string, alias?: string) =>
  ({ type: 'string', describe, ...(alias && { alias }) }) as const;

/** The flags, named so that each one's variable is MICRO_BOT_<NAME>. */
const flags = {
  'bot-inputs': flag(
    'inputs to serve, comma separated: stdin, slack, xmpp (default stdin) [MICRO_BOT_INPUTS]',
    'inputs',
  ),
  'bot-allow': flag(
    'users who may change state, as input:id or input:*, comma separated (stdin always may) [MICRO_BOT_ALLOW]',
    'allow',
  ),
  'bot-roles': flag(
    'auth roles whose chat users may change state (default admin) [MICRO_BOT_ROLES]',
    'roles',
  ),
  'bot-rate': flag('commands a second per user (default 1; 0: no limit) [MICRO_BOT_RATE]', 'rate'),
  'bot-burst': flag('commands a user may send at once (default 5) [MICRO_BOT_BURST]', 'burst'),
  'bot-timeout': flag('ms a command may take (default 30000) [MICRO_BOT_TIMEOUT]', 'timeout'),
  'bot-help': flag(
    "the endpoint of service-provided commands' help (default Command.Help) [MICRO_BOT_HELP]",
    'help-endpoint',
  ),
  'bot-exec': flag(
    'the endpoint that runs service-provided commands (default Command.Exec) [MICRO_BOT_EXEC]',
    'exec-endpoint',
  ),
  'bot-slack-app-token': flag(
    'Slack app-level token (xapp-...), for Socket Mode [MICRO_BOT_SLACK_APP_TOKEN]',
    'slack-app-token',
  ),
  'bot-slack-bot-token': flag(
    'Slack bot token (xoxb-...), for the Web API [MICRO_BOT_SLACK_BOT_TOKEN]',
    'slack-bot-token',
  ),
  'bot-slack-api-url': flag(
    'Slack Web API base URL (default https://slack.com/api/) [MICRO_BOT_SLACK_API_URL]',
    'slack-api-url',
  ),
  'bot-xmpp-service': flag(
    'XMPP server, e.g. xmpp://127.0.0.1:5222 [MICRO_BOT_XMPP_SERVICE]',
    'xmpp-service',
  ),
  'bot-xmpp-domain': flag('XMPP domain [MICRO_BOT_XMPP_DOMAIN]', 'xmpp-domain'),
  'bot-xmpp-jid': flag("the bot's JID, e.g. bot@localhost [MICRO_BOT_XMPP_JID]", 'xmpp-jid'),
  'bot-xmpp-password': flag(
    "the bot's XMPP password (prefer the variable: flags show in ps) [MICRO_BOT_XMPP_PASSWORD]",
    'xmpp-password',
  ),
  'bot-xmpp-rooms': flag('MUC rooms to join, comma separated [MICRO_BOT_XMPP_ROOMS]', 'xmpp-rooms'),
} as const;

/** `micro bot`: commands by chat, from Slack, XMPP or the terminal. */
export const botCommand = defineCommand({
  command: 'bot',
  describe: 'Run the chat bot (Slack, XMPP, the terminal)',
  builder: (y) =>
    y
      .options(flags)
      .command(botStatusCommand)
      .command(botAuditCommand)
      .example('echo "list services" | micro bot', 'one command from a script, then exit')
      .example('micro bot --inputs slack,xmpp --allow slack:U0123', 'serve Slack and XMPP')
      .example('micro bot status', 'the running bots: their inputs and commands'),
  handler: async (args) => {
    const { serveBot } = await import('./bot/serve.ts');
    await serveBot(args, Object.keys(flags));
  },
});
