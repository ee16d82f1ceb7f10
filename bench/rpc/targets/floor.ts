// The floor: a bare RPC of 4-byte length + JSON frames on one connection, writes batched per tick.
// No headers, routing, timeouts or errors: what JSON over loopback TCP costs on this machine.
import net from 'node:net';
import { REQUEST, hello, type Caller, type Target } from '../target.ts';

interface Envelope {
  id: number;
  body: unknown;
}

/** Queues frames and writes everything queued in one tick with one socket write. */
function frameWriter(socket: net.Socket): (message: Envelope) => void {
  let queue: Buffer[] = [];
  let size = 0;
  const flush = (): void => {
    const out = queue.length === 1 ? (queue[0] as Buffer) : Buffer.concat(queue, size);
    queue = [];
    size = 0;
    socket.write(out);
  };
  return (message) => {
    const json = JSON.stringify(message);
    const len = Buffer.byteLength(json);
    const frame = Buffer.allocUnsafe(4 + len);
    frame.writeUInt32BE(len, 0);
    frame.write(json, 4);
    if (queue.length === 0) process.nextTick(flush);
    queue.push(frame);
    size += frame.length;
  };
}

/** Calls onMessage for every whole frame in the byte stream. */
function frameReader(onMessage: (message: Envelope) => void): (chunk: Buffer) => void {
  let rest: Buffer | undefined;
  return (chunk) => {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 4) {
      const len = buf.readUInt32BE(at);
      if (buf.length - at - 4 < len) break;
      onMessage(JSON.parse(buf.toString('utf8', at + 4, at + 4 + len)) as Envelope);
      at += 4 + len;
    }
    rest = at === buf.length ? undefined : buf.subarray(at);
  };
}

export const floor: Target = {
  async serve() {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      const send = frameWriter(socket);
      socket.on(
        'data',
        frameReader((m) => send({ id: m.id, body: hello(m.body as { name: string }) })),
      );
      socket.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    return {
      address: `127.0.0.1:${port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  },

  async connect(address) {
    const [host, port] = address.split(':');
    const socket = net.connect({ host, port: Number(port) });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const pending = new Map<
      number,
      { resolve: (body: unknown) => void; reject: (e: Error) => void }
    >();
    let nextId = 1;
    const send = frameWriter(socket);
    socket.on(
      'data',
      frameReader((m) => {
        const p = pending.get(m.id);
        pending.delete(m.id);
        p?.resolve(m.body);
      }),
    );
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      for (const p of pending.values()) p.reject(new Error(`connection to ${address} closed`));
      pending.clear();
    });
    const caller: Caller = {
      call: () =>
        new Promise((resolve, reject) => {
          if (socket.destroyed) return reject(new Error(`connection to ${address} closed`));
          const id = nextId++;
          pending.set(id, { resolve, reject });
          send({ id, body: REQUEST });
        }),
      close: async () => {
        socket.destroy();
      },
    };
    const rsp = (await caller.call()) as { msg?: string };
    if (rsp.msg !== 'Hello bench') throw new Error(`unexpected response ${JSON.stringify(rsp)}`);
    return caller;
  },
};
