// The floors: the nats package's own request/reply with a JSON body, one subscription echoing.
// No headers, routing, codecs or errors: what one call through this nats-server costs at least.
// `floor` publishes with a reply subject and matches replies on one wildcard inbox subscription;
// `request` is the package's nc.request(), which also arms a timer and builds a NatsError per call.
import { connect, createInbox, type NatsConnection } from 'nats';
import { REQUEST, checkEcho, type Caller, type Target } from '../target.ts';

const SUBJECT = 'bench.floor.echo';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const body = (): Uint8Array => encoder.encode(JSON.stringify(REQUEST));

async function serve(nats: string): Promise<{ address: string; close(): Promise<void> }> {
  const nc = await connect({ servers: nats, name: 'bench-floor-server' });
  nc.subscribe(SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      // Decoded and encoded again, as a server with a JSON codec would.
      msg.respond(encoder.encode(JSON.stringify(JSON.parse(decoder.decode(msg.data)))));
    },
  });
  await nc.flush();
  return { address: SUBJECT, close: () => nc.drain() };
}

async function ready(nc: NatsConnection, caller: Caller): Promise<Caller> {
  try {
    checkEcho(await caller.call());
  } catch (err) {
    await nc.close();
    throw err;
  }
  return caller;
}

export const floor: Target = {
  serve,
  async connect(nats, subject) {
    const nc = await connect({ servers: nats, name: 'bench-floor-client' });
    const inbox = createInbox();
    const pending = new Map<string, (data: Uint8Array) => void>();
    nc.subscribe(`${inbox}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const id = msg.subject.slice(inbox.length + 1);
        const resolve = pending.get(id);
        pending.delete(id);
        resolve?.(msg.data);
      },
    });
    let next = 0;
    const caller: Caller = {
      call: async () => {
        const id = String(++next);
        const reply = new Promise<Uint8Array>((resolve) => pending.set(id, resolve));
        nc.publish(subject, body(), { reply: `${inbox}.${id}` });
        return JSON.parse(decoder.decode(await reply)) as unknown;
      },
      close: () => nc.close(),
    };
    return ready(nc, caller);
  },
};

export const request: Target = {
  serve,
  async connect(nats, subject) {
    // Without noAsyncTraces each request also captures a stack (new Error()) when it starts.
    const nc = await connect({ servers: nats, name: 'bench-request-client', noAsyncTraces: true });
    const caller: Caller = {
      call: async () =>
        JSON.parse(
          decoder.decode((await nc.request(subject, body(), { timeout: 5000 })).data),
        ) as unknown,
      close: () => nc.close(),
    };
    return ready(nc, caller);
  },
};
