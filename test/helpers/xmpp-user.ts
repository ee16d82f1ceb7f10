// A person on XMPP, for the tests: an @xmpp/client connection logged in as a test user that sends
// messages and awaits the stanzas it receives (no sleeps: each wait has a deadline).
import { client, xml, type Client } from '@xmpp/client';

type Element = ReturnType<typeof xml>;

/** A test user connected to a test server. */
export interface XmppUser {
  client: Client;
  /** Its full JID once online: `alice@localhost/test`. */
  jid: string;
  /** Sends `<message type=… to=…><body>…</body>…</message>` (type `chat` unless given). */
  say(to: string, body: string, opts?: { type?: string; children?: Element[] }): Promise<void>;
  /** Resolves with the first stanza received since the last one it returned that `match`es (skipping the others); rejects after `ms`. */
  next(match: (el: Element) => boolean, ms?: number): Promise<Element>;
  /** Forgets what was received so far: next() looks only at what comes after. */
  forget(): void;
  /** Disconnects for good. */
  stop(): Promise<void>;
}

/** A message stanza with a body from `from` (a bare JID: any of its resources; a full one: that one). */
export const messageFrom =
  (from: string, type?: string) =>
  (el: Element): boolean =>
    el.is('message') &&
    el.getChildText('body') !== null &&
    (el.attrs.from === from || String(el.attrs.from).startsWith(`${from}/`)) &&
    (type === undefined || el.attrs.type === type);

/** An available presence from exactly `from` (a full JID): that resource is online. */
export const availableFrom =
  (from: string) =>
  (el: Element): boolean =>
    el.is('presence') && el.attrs.from === from && !el.attrs.type;

/** Logs in as `username` on the test server and resolves once online. */
export async function connectXmppUser(
  service: string,
  username: string,
  password: string,
  resource = 'test',
): Promise<XmppUser> {
  const c = client({ service, domain: 'localhost', username, password, resource });
  const seen: Element[] = [];
  let waiters: (() => void)[] = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  c.on('error', () => undefined); // a restart's stream error: the reconnect module takes over
  c.on('stanza', (el: Element) => {
    seen.push(el);
    wake();
  });
  // Available, as a chat client is once online: the server then routes messages and presence to it.
  c.on('online', () => void c.send(xml('presence', {})).catch(() => undefined));
  await c.start().catch(async (err: unknown) => {
    c.reconnect.stop(); // else it would try again, for ever, after the test
    await c.stop().catch(() => undefined);
    throw err;
  });
  const until = async (ready: () => boolean, ms: number, what: string): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `${username} (${c.status}): no ${what} within ${ms} ms; the last received:\n${seen
            .slice(-5)
            .map((el) => el.toString().slice(0, 300))
            .join('\n')}`,
        );
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((r) => {
        waiters.push(r);
        timer = setTimeout(r, left);
      });
      clearTimeout(timer);
    }
  };
  let from = 0;
  return {
    client: c,
    jid: c.jid?.toString() ?? `${username}@localhost/${resource}`,
    async say(to, body, opts = {}) {
      await c.send(
        xml(
          'message',
          { to, type: opts.type ?? 'chat' },
          xml('body', {}, body),
          ...(opts.children ?? []),
        ),
      );
    },
    async next(match, ms = 10_000) {
      let found: Element | undefined;
      await until(
        () => {
          for (; from < seen.length && !found; from++)
            if (match(seen[from] as Element)) found = seen[from];
          return found !== undefined;
        },
        ms,
        'matching stanza',
      );
      return found as Element;
    },
    forget() {
      from = seen.length;
    },
    async stop() {
      c.reconnect.stop();
      await c.stop().catch(() => undefined);
    },
  };
}
