// The Slack input: the bot on Slack through Socket Mode (@slack/socket-mode: events over a
// WebSocket the bot opens, so no public URL) and the Web API (@slack/web-api: auth.test, and
// chat.postMessage for replies, in the message's channel and thread).
//
// Settings: MICRO_BOT_SLACK_APP_TOKEN (xapp-…), MICRO_BOT_SLACK_BOT_TOKEN (xoxb-…),
// MICRO_BOT_SLACK_API_URL (default https://slack.com/api/). Slack app setup: Socket Mode on; an
// app-level token with connections:write; bot token scopes app_mentions:read, chat:write,
// im:history; bot events app_mention and message.im; the App Home's Messages tab on for DMs.
//
// Guarantees: answers app mentions (the leading `<@bot>` taken off) and direct messages; ignores
// bots (itself included), edits and other subtypes, and redeliveries (by event id and by
// channel + ts, over the last 1,000 events); acks every envelope at once, before handling it.
// Reconnects itself, with a delay doubling from 0.5 s to 30 s, for as long as it runs: the client's
// own reconnection is off because a reconnect whose start fails (Slack down longer than its retries,
// or stop() while connecting) rejects a promise nobody holds and stops reconnecting.
// Limits: one workspace; a reply is one message of 3,900 characters at most (the formatter cuts).
import { SocketModeClient } from '@slack/socket-mode';
import { LogLevel, WebClient, type Logger } from '@slack/web-api';
import type { BotLogger, Input, InputFactory, InputStatus, Message } from '../bot.ts';
import { messageOf, Seen, type SlackEvent } from './slack-events.ts';

/** What the Slack input needs: its two tokens and the Web API's base URL. */
export interface SlackOptions {
  /** The app-level token (xapp-…, scope connections:write) that opens Socket Mode connections. */
  appToken: string;
  /** The bot token (xoxb-…) that posts the replies. */
  botToken: string;
  /** The Web API's base URL (default https://slack.com/api/); a stand-in's in tests. */
  apiUrl?: string;
  /** The first reconnect delay in ms (default 500), doubled each failure up to `maxDelay` (default 30,000). */
  minDelay?: number;
  maxDelay?: number;
}

/** How long one Web API call or one connection's `hello` may take. */
const CALL_MS = 10_000;
const HELLO_MS = 30_000;

/** The Slack input, from MICRO_BOT_SLACK_APP_TOKEN, MICRO_BOT_SLACK_BOT_TOKEN and MICRO_BOT_SLACK_API_URL. */
export const slack: InputFactory = (env, logger) => createSlackInput(slackOptions(env), logger);

/** Reads the Slack settings; a missing or malformed one is a TypeError naming its variable. */
export function slackOptions(env: NodeJS.ProcessEnv): SlackOptions {
  const token = (name: string, prefix: string, what: string): string => {
    const value = env[name]?.trim() ?? '';
    if (!value.startsWith(prefix) || !/^[\x21-\x7e]{8,512}$/.test(value)) {
      const got = !value
        ? 'it is not set'
        : !value.startsWith(prefix)
          ? `it does not start with ${prefix}`
          : 'it has spaces or other characters no token has, or is too short or too long';
      throw new TypeError(`${name} must be the Slack app's ${what} (${prefix}…): ${got}`);
    }
    return value;
  };
  const apiUrl = env.MICRO_BOT_SLACK_API_URL?.trim() || 'https://slack.com/api/';
  const url = URL.canParse(apiUrl) ? new URL(apiUrl) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
    throw new TypeError(
      `MICRO_BOT_SLACK_API_URL must be an http(s) URL like https://slack.com/api/, not ${JSON.stringify(apiUrl.slice(0, 200))}`,
    );
  }
  return {
    appToken: token('MICRO_BOT_SLACK_APP_TOKEN', 'xapp-', 'app-level token'),
    botToken: token('MICRO_BOT_SLACK_BOT_TOKEN', 'xoxb-', 'bot token'),
    apiUrl: url.href.endsWith('/') ? url.href : `${url.href}/`,
  };
}

/** Creates the Slack input; nothing connects until start(). */
export function createSlackInput(options: SlackOptions, logger: BotLogger): Input {
  const minDelay = options.minDelay ?? 500;
  const maxDelay = options.maxDelay ?? 30_000;
  const stopping = new AbortController();
  // Every call can be cut short by stop(): a reconnect in flight then ends at once.
  const fetchFn = (url: string | URL, init?: RequestInit) =>
    fetch(url, {
      ...init,
      signal: AbortSignal.any([stopping.signal, ...(init?.signal ? [init.signal] : [])]),
    });
  const common = {
    slackApiUrl: options.apiUrl ?? 'https://slack.com/api/',
    logger: libraryLogger(logger),
    timeout: CALL_MS,
    fetch: fetchFn,
  };
  const web = new WebClient(options.botToken, {
    ...common,
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 5_000 },
  });
  const socket = new SocketModeClient({
    appToken: options.appToken,
    logger: common.logger,
    autoReconnectEnabled: false,
    clientOptions: {
      slackApiUrl: common.slackApiUrl,
      timeout: CALL_MS,
      fetch: fetchFn,
      retryConfig: { retries: 0 },
    },
  });
  const seen = new Seen(2_000);
  let self = '';
  let connected = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> | undefined;
  let where = '';
  let status: Omit<InputStatus, 'name'> = {
    connected: false,
    since: Date.now(),
    detail: 'not started',
  };
  const now = (connected: boolean, detail: string): void => {
    status = {
      connected,
      since: connected === status.connected ? status.since : Date.now(),
      detail,
    };
  };

  /** Connects once: resolves on Slack's hello; rejects when that fails or takes too long. */
  async function connect(): Promise<void> {
    let late: NodeJS.Timeout | undefined;
    const tooLate = new Promise<never>((_, reject) => {
      late = setTimeout(
        () => reject(new Error(`no hello from Slack within ${HELLO_MS / 1000} s`)),
        HELLO_MS,
      );
    });
    try {
      await Promise.race([socket.start(), tooLate]);
    } catch (err) {
      if (!stopping.signal.aborted) await socket.disconnect();
      throw err;
    } finally {
      clearTimeout(late);
    }
    if (stopping.signal.aborted) await socket.disconnect();
  }

  /** Schedules the next reconnect, unless one is pending or running, or the input has stopped. */
  function reconnect(): void {
    if (stopping.signal.aborted || timer || attempt) return;
    const delay = Math.min(maxDelay, minDelay * 2 ** failures) * (0.8 + Math.random() * 0.4);
    timer = setTimeout(() => {
      timer = undefined;
      attempt = connect()
        .then(() => {
          if (stopping.signal.aborted) return;
          now(true, where);
          logger.info(`slack: reconnected${failures ? ` after ${failures + 1} attempts` : ''}`);
          failures = 0;
        })
        .catch((err: unknown) => {
          if (stopping.signal.aborted) return;
          failures++;
          now(false, `reconnecting: ${reasonOf(err)}`);
          logger.warn(`slack: reconnecting failed (${reasonOf(err)}); trying again`);
        })
        .finally(() => {
          attempt = undefined;
          // A failed attempt, or a connection lost while this one was settling, waits for the next.
          if (!socket.websocket?.isActive()) reconnect();
        });
    }, delay);
  }

  return {
    name: 'slack',
    medium: { style: 'slack', maxLength: 3_900 },

    async start(handle) {
      const me = await web.auth.test().catch((err: unknown) => {
        now(false, reasonOf(err));
        throw new Error(`slack: auth.test failed ${hint(err, 'MICRO_BOT_SLACK_BOT_TOKEN')}`);
      });
      self = me.user_id ?? '';
      socket.on('slack_event', (e: SlackEnvelope) => {
        e.ack().catch((err: unknown) => logger.warn(`slack: could not ack (${reasonOf(err)})`));
        if (e.type !== 'events_api' || !e.body?.event) return;
        const message = messageOf(e.body.event, self);
        if (!message || seen.again(e.body.event_id, e.body.event)) return;
        try {
          handle(message);
        } catch (err) {
          logger.warn(`slack: the handler threw (${reasonOf(err)})`);
        }
      });
      socket.on('disconnected', () => {
        if (stopping.signal.aborted || attempt || !connected) return;
        now(false, 'reconnecting');
        logger.warn('slack: connection lost; reconnecting');
        reconnect();
      });
      await connect().catch((err: unknown) => {
        now(false, reasonOf(err));
        throw new Error(`slack: cannot connect ${hint(err, 'MICRO_BOT_SLACK_APP_TOKEN')}`);
      });
      connected = true;
      where = `${me.team ?? 'Slack'} as @${me.user ?? self} (${common.slackApiUrl})`;
      now(true, where);
      logger.info(`slack: connected as <@${self}> (${me.team ?? 'workspace'})`);
    },

    async reply(to: Message, text: string) {
      await web.chat.postMessage({
        channel: to.room,
        text: text.slice(0, 40_000),
        ...(to.thread && { thread_ts: to.thread }),
        unfurl_links: false,
        unfurl_media: false,
      });
    },

    status: () => status,

    async stop() {
      now(false, 'stopped');
      stopping.abort();
      clearTimeout(timer);
      timer = undefined;
      // A connection being made ends first (its calls are aborted; a socket opening has its hello
      // in ms): the client, closing a socket still opening, leaves a 30 s timer behind.
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([
        attempt,
        new Promise((resolve) => (waited = setTimeout(resolve, 5_000))),
      ]);
      clearTimeout(waited);
      await socket.disconnect();
    },
  };
}

/** What the Socket Mode client hands a `slack_event` listener. */
interface SlackEnvelope {
  ack(): Promise<void>;
  type: string;
  body?: { event_id?: string; event?: SlackEvent };
}

/** Slack's error code (`invalid_auth`) or the error's message. */
function reasonOf(err: unknown): string {
  const data = (err as { data?: { error?: unknown } }).data;
  if (typeof data?.error === 'string') return data.error;
  return err instanceof Error ? err.message : String(err);
}

/** The reason, and what to check: the token when Slack refused it, else the URL and the network. */
function hint(err: unknown, token: string): string {
  const reason = reasonOf(err);
  const refused =
    /^(not_authed|invalid_auth|account_inactive|token_revoked|token_expired|missing_scope|not_allowed_token_type|no_permission)$/;
  const check = refused.test(reason) ? token : 'MICRO_BOT_SLACK_API_URL and the network';
  return `(${reason}): check ${check}`;
}

/** What the clients say of a lost connection or a failed reconnect, which the input says itself. */
const SAID =
  /^(WebSocket error occurred:\s*|WebSocket error! \w+|Failed to retrieve a new WSS URL .*)$/;

/** The clients' logger: warnings and errors to the bot's logger (as warnings), the rest dropped. */
function libraryLogger(logger: BotLogger): Logger {
  const say = (...msg: unknown[]): void => {
    const text = msg.map(String).join(' ');
    if (!SAID.test(text)) logger.warn(`slack: ${text}`);
  };
  return {
    debug() {},
    info() {},
    warn: say,
    error: say,
    setLevel() {},
    getLevel: () => LogLevel.WARN,
    setName() {},
  };
}
