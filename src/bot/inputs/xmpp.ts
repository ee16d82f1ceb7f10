// The XMPP input (Jabber; HipChat's successor in the open), on @xmpp/client. It logs in, says it is
// available, joins its rooms, and delivers as commands: `chat` and `normal` messages with a body from
// other accounts (the user is the sender's bare JID), and in rooms the messages that start with its
// nick (`bot: list services`). It ignores its own messages, errors, and anything delayed (offline
// storage, room history: urn:xmpp:delay). Replies go back as `chat` to the sender, or to the room.
//
// Guarantees: reconnects whenever the connection drops, forever, with a growing delay (1 s doubling
// to 30 s) and a log line per try; stop() ends it for good. Limits: the first connection must work
// (start rejects otherwise, so a wrong address or password shows at once); unencrypted connections
// only to this machine (xmpp:// without STARTTLS on loopback); a text is kept up to one character
// over BOT_DEFAULTS.maxText, so that the bot refuses a longer one (400) rather than run it cut.
// In semi-anonymous rooms the bot may not see who wrote: the user is then the occupant JID
// (`room@service/nick`), which no allow-list entry of a bare JID matches.
import type { Client, xml as makeXml } from '@xmpp/client';
import { randomUUID } from 'node:crypto';
import { MicroError } from '../../runtime/errors.ts';
import { BOT_DEFAULTS, type Input, type InputFactory, type Message } from '../bot.ts';
import { xmppSettings, type XmppRoom } from './xmpp-settings.ts';

type Element = ReturnType<typeof makeXml>;

const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

/** Who raises the XMPP input's errors. */
const ERROR_ID = 'micro.bot.xmpp';
/** The first delay before reconnecting, and the longest. */
const RECONNECT = { first: 1000, max: 30_000 } as const;
/** How long the first connection may take. */
const START_MS = 30_000;
/** The states of a connection between its socket's opening and being online. */
const NEGOTIATING = new Set(['connect', 'opening', 'open']);
/** Characters of a `<thread>` id kept. */
const MAX_THREAD = 256;

// Characters XML 1.0 cannot carry: a reply with one would make the server close the stream.
const NOT_XML = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** A JID without its resource, lowercased (the server stamps `from` with its canonical form). */
const bare = (jid: string): string => (jid.split('/')[0] ?? '').toLowerCase();
/** A JID's resource: a room occupant's nick. */
const resourceOf = (jid: string): string => jid.slice(jid.indexOf('/') + 1 || jid.length);

/** Why start() failed, as a MicroError: 401 when the server refused the login, else 503. */
function startFailure(err: unknown, what: string): MicroError {
  const refused = (err as Error).name === 'SASLError';
  const e = new MicroError(ERROR_ID, refused ? 401 : 503, `${what}: ${(err as Error).message}`);
  e.cause = err;
  return e;
}

/** The text after the nick (`bot: x`, `bot, x`, `@bot x`, `bot x`), or undefined when the message is not for it. */
export function addressed(body: string, nick: string): string | undefined {
  const text = body.trimStart();
  const at = text.startsWith('@') ? 1 : 0;
  if (text.slice(at, at + nick.length).toLowerCase() !== nick.toLowerCase()) return undefined;
  const rest = text.slice(at + nick.length);
  const m = /^(?:[:,]\s*|\s+)/.exec(rest);
  return m ? rest.slice(m[0].length) : undefined;
}

/** The XMPP input: MICRO_BOT_XMPP_SERVICE, _DOMAIN, _JID, _PASSWORD, _ROOMS. */
export const xmpp: InputFactory = (env, logger) => {
  const s = xmppSettings(env);
  const own = `${s.username}@${s.domain}`.toLowerCase();
  const rooms = new Map<string, XmppRoom & { occupants: Map<string, string> }>(
    s.rooms.map((r) => [r.jid, { ...r, occupants: new Map() }]),
  );
  let connection: Client | undefined;
  let xml: typeof makeXml | undefined;
  let stopped = false;
  /** What status() reports: connected or not, since when, to what or why not. */
  let state = { connected: false, since: Date.now(), detail: 'not started' };
  const become = (connected: boolean, detail: string): void => {
    state = { connected, since: connected === state.connected ? state.since : Date.now(), detail };
  };

  /** A command in a message stanza, or undefined when it is not one for the bot. */
  const read = (el: Element): Message | undefined => {
    const type = (el.attrs.type as string | undefined) ?? 'normal';
    const from = el.attrs.from as string | undefined;
    const body = el.getChildText('body');
    if (!from || body === null || el.getChild('delay', 'urn:xmpp:delay')) return undefined;
    if (el.getChild('x', 'jabber:x:delay')) return undefined;
    // One character over the bound is enough for the bot to refuse it whole.
    const text = body.trim().slice(0, BOT_DEFAULTS.maxText + 1);
    const thread = el.getChildText('thread')?.slice(0, MAX_THREAD) || undefined;
    const room = rooms.get(bare(from));
    const nick = resourceOf(from);
    // The room itself (its subject, notices, invitations) is nobody.
    if (room && !nick) return undefined;
    if (type === 'groupchat') {
      if (!room || nick === room.nick) return undefined;
      const command = addressed(text, room.nick)?.trim();
      if (!command) return undefined;
      const id = room.occupants.get(nick) ?? from;
      return {
        user: { input: 'xmpp', id, name: nick },
        text: command,
        room: room.jid,
        ...(thread && { thread }),
      };
    }
    if (type !== 'chat' && type !== 'normal') return undefined;
    if (bare(from) === own || !from.includes('@') || !text) return undefined;
    // A private message through a room comes from the occupant's JID: who is behind it, if known.
    const id = room ? (room.occupants.get(nick) ?? from) : bare(from);
    return {
      user: { input: 'xmpp', id },
      text,
      room: from,
      ...(thread && { thread }),
    };
  };

  /** Keeps track of who is in the rooms (their real JIDs, when the room shows them) and answers subscription requests. */
  const presence = async (el: Element, c: Client, x: typeof makeXml): Promise<void> => {
    const from = (el.attrs.from as string | undefined) ?? '';
    const type = el.attrs.type as string | undefined;
    const room = rooms.get(bare(from));
    if (!room) {
      if (type === 'subscribe' && from.includes('@'))
        await c.send(x('presence', { to: bare(from), type: 'subscribed' }));
      return;
    }
    const nick = resourceOf(from);
    if (type === 'error') {
      const why = el.getChild('error')?.children[0];
      logger.warn(
        `xmpp: cannot join room ${room.jid} as ${room.nick}: ${typeof why === 'object' ? why.name : 'refused'}`,
      );
      return;
    }
    const item = el.getChild('x', NS_MUC_USER)?.getChild('item');
    if (type === 'unavailable') room.occupants.delete(nick);
    else if (typeof item?.attrs.jid === 'string') room.occupants.set(nick, bare(item.attrs.jid));
    const self = el
      .getChild('x', NS_MUC_USER)
      ?.getChildren('status')
      .some((st) => st.attrs.code === '110');
    if (self && type !== 'unavailable')
      logger.info(`xmpp: joined room ${room.jid} as ${room.nick}`);
  };

  /** Says the bot is available and (re)joins its rooms, without their history. */
  const online = async (c: Client, x: typeof makeXml): Promise<void> => {
    await c.send(x('presence', {}));
    for (const room of rooms.values()) {
      room.occupants.clear();
      await c.send(
        x(
          'presence',
          { to: `${room.jid}/${room.nick}` },
          x('x', { xmlns: NS_MUC }, x('history', { maxstanzas: '0' })),
        ),
      );
    }
  };

  const input: Input = {
    name: 'xmpp',
    medium: { style: 'plain', maxLength: 8_000 },

    async start(handle) {
      const lib = await import('@xmpp/client');
      xml = lib.xml;
      const x = lib.xml;
      const c = lib.client({
        service: s.service,
        domain: s.domain,
        resource: s.resource,
        // Credentials as a function: refuse to log in over an unencrypted connection to another machine.
        credentials: async (authenticate, mechanisms, _fast, entity) => {
          const secure = entity.isSecure();
          if (!secure && !s.loopback)
            throw new Error(
              `${s.service} offered no TLS: use xmpps://, or a server that offers STARTTLS`,
            );
          const mechanism = secure ? mechanisms[0] : mechanisms.find((m) => m !== 'PLAIN');
          if (!mechanism)
            throw new Error(
              `no mechanism to log in with (the server offers ${mechanisms.join(', ')})`,
            );
          await authenticate(
            { username: s.username, password: s.password },
            mechanism,
            x('user-agent', { id: randomUUID() }),
          );
        },
      });
      connection = c;
      let tries = 0;
      let lastError = '';
      c.reconnect.delay = RECONNECT.first;
      // A try that fails half-way (a login refused) or stalls is ended, so that the next one comes:
      // the reconnect module only tries again once the socket is closed.
      const endTry = (): void => void c.disconnect().catch(() => undefined);
      let stalled: NodeJS.Timeout | undefined;
      c.on('status', (status: string) => {
        clearTimeout(stalled);
        if (!stopped && tries > 0 && (status === 'connecting' || NEGOTIATING.has(status)))
          stalled = setTimeout(endTry, START_MS);
      });
      c.on('error', (err: Error) => {
        // Why the connection is lost: its first error (a stream error, not the reset after it).
        const losing = c.status !== 'online' || err.name === 'StreamError' || 'code' in err;
        if (losing) lastError ||= err.message;
        if (c.status === 'online') logger.warn(`xmpp: ${err.message}`);
        else if (!stopped && tries > 0 && NEGOTIATING.has(c.status)) endTry();
      });
      c.on('disconnect', () => {
        if (stopped) return;
        const why = lastError ? ` (${lastError})` : '';
        become(false, `reconnecting (try ${tries + 1})${why}`);
        logger.warn(
          `xmpp: not connected to ${s.service}${why}; try ${tries + 1} in ${c.reconnect.delay / 1000} s`,
        );
        lastError = '';
      });
      c.reconnect.on('reconnecting', () => {
        tries++;
        c.reconnect.delay = Math.min(c.reconnect.delay * 2, RECONNECT.max);
      });
      c.on('online', () => {
        if (stopped) return void c.stop().catch(() => undefined);
        const after = tries ? ` (after ${tries} tries)` : '';
        tries = 0;
        c.reconnect.delay = RECONNECT.first;
        const as = `${s.service} as ${c.jid?.toString() ?? own}`;
        become(true, as);
        online(c, x).then(
          () => logger.info(`xmpp: online at ${as}${after}`),
          (err: Error) => logger.warn(`xmpp: cannot say it is online: ${err.message}`),
        );
      });
      c.on('stanza', (el: Element) => {
        if (el.is('presence'))
          presence(el, c, x).catch((err: Error) => logger.warn(`xmpp: ${err.message}`));
        if (!el.is('message')) return;
        const message = read(el);
        if (message) handle(message);
      });
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.start(),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${START_MS / 1000} s`)),
              START_MS,
            );
          }),
        ]);
      } catch (err) {
        c.reconnect.stop();
        stopped = true;
        await c.stop().catch(() => undefined);
        become(false, `cannot connect: ${(err as Error).message}`);
        throw startFailure(err, `xmpp: cannot connect to ${s.service} as ${own}`);
      } finally {
        clearTimeout(timer);
      }
    },

    async reply(to, text) {
      const c = connection;
      if (!c || !xml || c.status !== 'online')
        throw new Error(`xmpp: not connected to ${s.service}; the reply to ${to.user.id} is lost`);
      const room = rooms.get(to.room);
      const body = (room && to.user.name ? `${to.user.name}: ${text}` : text).replace(
        NOT_XML,
        '\ufffd',
      );
      await c.send(
        xml(
          'message',
          { type: room ? 'groupchat' : 'chat', to: to.room, id: randomUUID() },
          xml('body', {}, body),
          ...(to.thread ? [xml('thread', {}, to.thread)] : []),
        ),
      );
    },

    status: () => state,

    async stop() {
      stopped = true;
      become(false, 'stopped');
      const c = connection;
      if (!c) return;
      c.reconnect.stop();
      if (c.status === 'online' && xml)
        await c.send(xml('presence', { type: 'unavailable' })).catch(() => undefined);
      await c.stop().catch(() => undefined);
    },
  };
  return input;
};
