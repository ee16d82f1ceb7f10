// The XMPP input's settings, read from the environment (MICRO_BOT_XMPP_*) and checked before it
// connects: a missing or malformed one is a TypeError naming the variable. Pure: no connection.

/** A multi-user chat room the bot joins, and the nick it uses there. */
export interface XmppRoom {
  /** The room's bare JID, lowercased: `ops@conference.example.org`. */
  jid: string;
  /** The bot's nick in it; messages starting with it are commands. */
  nick: string;
}

/** What the XMPP input connects with. */
export interface XmppSettings {
  /** Where to connect: `xmpp://host:5222` (STARTTLS when offered), `xmpps://host:5223`, `wss://…`. */
  service: string;
  /** The XMPP domain (the stream's `to`): the JID's domain unless MICRO_BOT_XMPP_DOMAIN says. */
  domain: string;
  /** The account's local part: `bot` of bot@example.org. */
  username: string;
  /** The resource bound: the JID's, else `micro-bot`. */
  resource: string;
  password: string;
  /** Rooms to join (MICRO_BOT_XMPP_ROOMS, comma-separated `room@service[/nick]`). */
  rooms: XmppRoom[];
  /** Whether the service is on this machine (127.0.0.0/8, ::1, localhost): only there may the connection go unencrypted. */
  loopback: boolean;
}

/** Rooms joined at most. */
const MAX_ROOMS = 50;

// A JID: local part (none of "&'/:<>@ or spaces), domain, optional resource (RFC 7622, loosely).
const JID = /^(?:([^\s"&'/:<>@]{1,1023})@)?([^\s"&'/<>@]{1,1023})(?:\/([^\s][^\n\r]{0,1022}))?$/u;

const PROTOCOLS = new Set(['xmpp:', 'xmpps:', 'ws:', 'wss:']);

/** A TypeError naming the variable, saying what it should be. */
const bad = (name: string, what: string): TypeError => new TypeError(`${name} ${what}`);

/** Whether a URL's host is this machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Reads and checks MICRO_BOT_XMPP_*; throws a TypeError naming the first bad one. */
export function xmppSettings(env: NodeJS.ProcessEnv): XmppSettings {
  const serviceText = env.MICRO_BOT_XMPP_SERVICE?.trim();
  if (!serviceText)
    throw bad(
      'MICRO_BOT_XMPP_SERVICE',
      'is not set: the server to connect to, e.g. xmpp://127.0.0.1:5222',
    );
  let service: URL;
  try {
    service = new URL(serviceText);
  } catch {
    throw bad(
      'MICRO_BOT_XMPP_SERVICE',
      `is not a URL: ${JSON.stringify(serviceText.slice(0, 200))}`,
    );
  }
  if (!PROTOCOLS.has(service.protocol) || !service.hostname)
    throw bad(
      'MICRO_BOT_XMPP_SERVICE',
      'must be xmpp://host:port, xmpps://host:port, ws:// or wss://',
    );

  const jidText = env.MICRO_BOT_XMPP_JID?.trim();
  if (!jidText)
    throw bad('MICRO_BOT_XMPP_JID', "is not set: the bot's account, e.g. bot@example.org");
  const jid = JID.exec(jidText);
  const domainText = env.MICRO_BOT_XMPP_DOMAIN?.trim().toLowerCase() || undefined;
  // A JID with no @ is a local part only when a domain is given ("bot" + DOMAIN).
  const [username, jidDomain] = jid?.[1] ? [jid[1], jid[2]] : [jid?.[2], undefined];
  if (!jid || !username || (!jidDomain && !domainText))
    throw bad(
      'MICRO_BOT_XMPP_JID',
      `is not a JID like bot@example.org: ${JSON.stringify(jidText.slice(0, 200))}`,
    );
  if (domainText && !/^[^\s"&'/<>@:]{1,1023}$/.test(domainText))
    throw bad(
      'MICRO_BOT_XMPP_DOMAIN',
      `is not a domain: ${JSON.stringify(domainText.slice(0, 200))}`,
    );
  if (domainText && jidDomain && jidDomain.toLowerCase() !== domainText)
    throw bad(
      'MICRO_BOT_XMPP_DOMAIN',
      `(${domainText}) is not the domain of MICRO_BOT_XMPP_JID (${jidDomain})`,
    );
  const domain = domainText ?? (jidDomain as string).toLowerCase();

  const password = env.MICRO_BOT_XMPP_PASSWORD;
  if (!password) throw bad('MICRO_BOT_XMPP_PASSWORD', "is not set: the bot account's password");

  const rooms: XmppRoom[] = [];
  for (const entry of (env.MICRO_BOT_XMPP_ROOMS ?? '').split(',')) {
    const text = entry.trim();
    if (!text) continue;
    const room = JID.exec(text);
    if (!room?.[1])
      throw bad(
        'MICRO_BOT_XMPP_ROOMS',
        `has ${JSON.stringify(text.slice(0, 200))}: not a room JID like ops@conference.example.org[/nick]`,
      );
    rooms.push({ jid: `${room[1]}@${room[2]}`.toLowerCase(), nick: room[3] ?? username });
  }
  if (rooms.length > MAX_ROOMS)
    throw bad('MICRO_BOT_XMPP_ROOMS', `names more than ${MAX_ROOMS} rooms`);

  return {
    service: serviceText,
    domain,
    username,
    resource: jid[3] ?? 'micro-bot',
    password,
    rooms,
    loopback: isLoopback(service.hostname),
  };
}
