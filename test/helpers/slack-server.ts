// A stand-in for Slack, which cannot be reached from here: a local HTTP + WebSocket server on
// 127.0.0.1 written to Slack's documented Socket Mode and Web API shapes, as the official
// @slack/socket-mode and @slack/web-api clients expect them. It serves
// - POST /api/apps.connections.open (app token): a one-time `ws://127.0.0.1:<port>/link/?ticket=…`;
// - POST /api/auth.test and /api/chat.postMessage (bot token): the bot's identity; records posts;
// - the WebSocket: a `hello`, then `events_api` envelopes the client acks with `{envelope_id}`.
// A test sends mentions and DMs, awaits the acks and the bot's posts, and drops or refreshes the
// socket to test reconnection. Not Slack: no rate limits, no retries of unacked envelopes (a test
// redelivers one itself), no signing, one team, and only the methods above (others: unknown_method).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A message the bot posted with chat.postMessage. */
export interface Posted {
  channel: string;
  text: string;
  thread_ts?: string;
  ts: string;
}

/** An event as the stand-in delivered it: its envelope and event ids, the event. */
export interface Delivered {
  envelopeId: string;
  eventId: string;
  event: Record<string, unknown>;
  /** Resolves once the client has acked the envelope (within 5 s, else rejects). */
  acked: Promise<void>;
}

/** What a test may set on a message it sends. */
export interface SendOptions {
  /** The thread's parent ts, for a message written in a thread. */
  thread_ts?: string;
  /** Reuse these ids (a redelivery). */
  eventId?: string;
  envelopeId?: string;
  /** Sets retry_attempt and retry_reason as Slack does on a redelivery. */
  retry?: number;
}

/** The running stand-in. */
export interface SlackStandIn {
  /** The Web API base URL: `http://127.0.0.1:<port>/api/`. */
  apiUrl: string;
  appToken: string;
  botToken: string;
  /** The bot's own user id (auth.test) and bot id. */
  botUserId: string;
  botId: string;
  /** Every message posted so far, in order. */
  posted: Posted[];
  /** How many WebSocket connections have been greeted with `hello` so far. */
  connections(): number;
  /** How many apps.connections.open calls came so far (answered or failed). */
  opens(): number;
  /** Resolves once `count` connections in all have been greeted (default 1), or rejects after ms. */
  connected(count?: number, ms?: number): Promise<void>;
  /** Whether a socket is open now. */
  isOpen(): boolean;
  /** Delivers an `app_mention` in `channel`: `<@bot> text`. */
  mention(user: string, channel: string, text: string, o?: SendOptions): Delivered;
  /** Delivers a direct message (`message`, channel_type `im`) in DM channel `channel`. */
  dm(user: string, channel: string, text: string, o?: SendOptions): Delivered;
  /** Delivers any event in an `events_api` envelope. */
  deliver(event: Record<string, unknown>, o?: SendOptions): Delivered;
  /** Resolves with the first post (already made or to come) from index `since` on matching `where`. */
  nextPost(where?: (p: Posted) => boolean, since?: number, ms?: number): Promise<Posted>;
  /** Drops the socket without a close frame (a network failure). */
  drop(): void;
  /** Sends `disconnect` (reason refresh_requested), as Slack does before recycling a connection. */
  refresh(): void;
  /** Makes apps.connections.open answer `{ok:false, error}` (e.g. `invalid_auth`), or normally again. */
  failOpen(error: string | undefined): void;
  stop(): Promise<void>;
}

const TEAM = 'T0STANDIN';
const APP = 'A0STANDIN';

/** Starts the stand-in on 127.0.0.1 and a free port. */
export async function startSlackStandIn(): Promise<SlackStandIn> {
  const appToken = `xapp-1-${APP}-1-${randomUUID()}`;
  const botToken = `xoxb-1-${randomUUID()}`;
  const botUserId = 'U0BOT';
  const botId = 'B0BOT';
  const posted: Posted[] = [];
  const tickets = new Set<string>();
  const acks = new Map<string, () => void>();
  const postWaiters = new Set<() => void>();
  const connectWaiters = new Set<() => void>();
  let greeted = 0;
  let opened = 0;
  let socket: WebSocket | undefined;
  let openError: string | undefined;
  let seq = 0;
  const nextTs = (): string => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;

  const http = createServer((req, res) => {
    void answer(req, res).catch(() => res.destroy());
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const port = await new Promise<number>((resolve) =>
    http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port)),
  );
  const apiUrl = `http://127.0.0.1:${port}/api/`;

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (body: object): void => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    const method = /^\/api\/([a-zA-Z.]+)$/.exec(req.url ?? '')?.[1];
    if (req.method !== 'POST' || !method) return void res.writeHead(404).end();
    const params = await formOf(req);
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || params.get('token');
    if (!token) return send({ ok: false, error: 'not_authed' });
    if (method === 'apps.connections.open') {
      opened++;
      if (token !== appToken) return send({ ok: false, error: 'invalid_auth' });
      if (openError) return send({ ok: false, error: openError });
      const ticket = randomUUID();
      tickets.add(ticket);
      return send({ ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=${ticket}&app_id=${APP}` });
    }
    if (token !== botToken) return send({ ok: false, error: 'invalid_auth' });
    if (method === 'auth.test') {
      const who = { team: 'Stand-in', user: 'micro', user_id: botUserId, bot_id: botId };
      return send({ ok: true, url: 'https://standin.slack.com/', team_id: TEAM, ...who });
    }
    if (method === 'chat.postMessage') {
      const channel = params.get('channel');
      const text = params.get('text');
      if (!channel) return send({ ok: false, error: 'channel_not_found' });
      if (!text) return send({ ok: false, error: 'no_text' });
      if (text.length > 40_000) return send({ ok: false, error: 'msg_too_long' });
      const thread = params.get('thread_ts') ?? undefined;
      const post: Posted = { channel, text, ts: nextTs(), ...(thread && { thread_ts: thread }) };
      posted.push(post);
      for (const w of [...postWaiters]) w();
      const message = { type: 'message', user: botUserId, bot_id: botId, ...post };
      return send({ ok: true, channel, ts: post.ts, message });
    }
    return send({ ok: false, error: 'unknown_method' });
  }

  http.on('upgrade', (req, sock, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !tickets.delete(ticket)) {
      sock.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, sock, head, (ws) => {
      socket?.terminate();
      socket = ws;
      ws.on('message', (data) => {
        let ack: { envelope_id?: unknown };
        try {
          ack = JSON.parse((data as Buffer).toString('utf8')) as { envelope_id?: unknown };
        } catch {
          return;
        }
        if (typeof ack.envelope_id === 'string') acks.get(ack.envelope_id)?.();
      });
      ws.on('close', () => {
        if (socket === ws) socket = undefined;
      });
      const debug_info = {
        host: 'applink-standin',
        build_number: 1,
        approximate_connection_time: 18060,
      };
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: 1,
          debug_info,
          connection_info: { app_id: APP },
        }),
      );
      greeted++;
      for (const w of [...connectWaiters]) w();
    });
  });

  function deliver(event: Record<string, unknown>, o: SendOptions = {}): Delivered {
    const envelopeId = o.envelopeId ?? randomUUID();
    const eventId = o.eventId ?? `Ev${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`;
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        acks.delete(envelopeId);
        reject(new Error(`envelope ${envelopeId} was not acked within 5 s`));
      }, 5_000);
      acks.set(envelopeId, () => {
        clearTimeout(timer);
        acks.delete(envelopeId);
        resolve();
      });
    });
    acked.catch(() => {}); // a test that does not await it is not failed by it
    const payload = {
      token: 'standin-verification',
      team_id: TEAM,
      api_app_id: APP,
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: TEAM, user_id: botUserId, is_bot: true }],
    };
    const envelope = {
      envelope_id: envelopeId,
      payload,
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: o.retry ?? 0,
      retry_reason: o.retry ? 'timeout' : '',
    };
    if (!socket) throw new Error('the bot is not connected to the Slack stand-in');
    socket.send(JSON.stringify(envelope));
    return { envelopeId, eventId, event, acked };
  }

  const message = (type: string, user: string, channel: string, text: string, o: SendOptions) => {
    const ts = nextTs();
    return {
      type,
      user,
      text,
      ts,
      channel,
      event_ts: ts,
      team: TEAM,
      ...(o.thread_ts && { thread_ts: o.thread_ts }),
    };
  };

  return {
    apiUrl,
    appToken,
    botToken,
    botUserId,
    botId,
    posted,
    connections: () => greeted,
    opens: () => opened,
    isOpen: () => socket !== undefined,
    connected: (count = 1, ms = 10_000) =>
      until(connectWaiters, () => greeted >= count, ms, `${count} connection(s)`),
    mention: (user, channel, text, o = {}) =>
      deliver(message('app_mention', user, channel, `<@${botUserId}> ${text}`, o), o),
    dm: (user, channel, text, o = {}) =>
      deliver({ ...message('message', user, channel, text, o), channel_type: 'im' }, o),
    deliver,
    async nextPost(where = () => true, since = 0, ms = 10_000) {
      const find = () => posted.slice(since).find(where);
      await until(postWaiters, () => find() !== undefined, ms, 'a chat.postMessage');
      return find()!;
    },
    drop: () => socket?.terminate(),
    refresh: () =>
      socket?.send(
        JSON.stringify({
          type: 'disconnect',
          reason: 'refresh_requested',
          debug_info: { host: 'applink-standin' },
        }),
      ),
    failOpen(error) {
      openError = error;
    },
    async stop() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Resolves once `done()` holds, checked now and each time a waiter in `waiters` is called. */
function until(
  waiters: Set<() => void>,
  done: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!done()) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve();
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`the Slack stand-in saw no ${what} within ${ms} ms`));
    }, ms);
    waiters.add(check);
  });
}

/** The form (or JSON) body of a Web API call, at most 1 MiB. */
async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1 << 20) throw new Error('body too large');
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks).toString('utf8');
  if (!(req.headers['content-type'] ?? '').includes('application/json'))
    return new URLSearchParams(body);
  const json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
  return new URLSearchParams(
    Object.entries(json).map(([k, v]): [string, string] => [
      k,
      typeof v === 'string' ? v : JSON.stringify(v),
    ]),
  );
}
