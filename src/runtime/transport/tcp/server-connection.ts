import type { Socket } from 'node:net';
import { MicroError, badGateway, badRequest, parseError, toMicroError } from '../../errors.ts';
import { FrameReader, Kind, encodeFrame, type Frame } from '../frame.ts';
import { QueuePipe } from '../pipe.ts';
import type { CallInfo, Reply, TransportHandler } from '../transport.ts';
import { BatchWriter } from '../writer.ts';

const ID = 'micro.transport';

/** Serves the framed protocol on one accepted connection (after the preface). */
export function serveFramed(socket: Socket, handler: TransportHandler, rest: Buffer): BatchWriter {
  const writer = new BatchWriter(socket);
  const calls = new Map<number, CallInfo>();
  const streams = new Map<number, QueuePipe>();
  const remote = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`;
  socket.setNoDelay(true);

  const reply = (id: number, r: Reply): void => {
    if (!calls.delete(id)) return; // cancelled or connection gone
    let frame: Buffer;
    try {
      frame = encodeFrame(r.error ? Kind.error : Kind.reply, id, r.header, r.body);
    } catch (err) {
      // A reply too large for a frame becomes an error reply instead of taking the process down.
      const e = badGateway(ID, `the reply could not be sent: ${(err as Error).message}`);
      frame = encodeFrame(Kind.error, id, undefined, Buffer.from(JSON.stringify(e)));
    }
    writer.write(frame);
  };
  const failCall = (id: number, err: unknown): void => {
    const e = toMicroError(err, ID);
    reply(id, { header: {}, body: Buffer.from(JSON.stringify(e)), error: true });
  };

  const onFrame = (f: Frame): void => {
    switch (f.kind) {
      case Kind.request: {
        const info: CallInfo = { remote, protocol: 'tcp' };
        calls.set(f.id, info);
        handler.call({ header: f.header, body: f.body }, info).then(
          (r) => reply(f.id, r),
          (err: unknown) => failCall(f.id, err),
        );
        return;
      }
      case Kind.cancel: {
        const info = calls.get(f.id);
        if (info) {
          calls.delete(f.id);
          info.onCancel?.();
        }
        streams
          .get(f.id)
          ?.remoteFail(
            new MicroError(ID, 499, 'stream cancelled by the caller', 'Client Closed Request'),
          );
        return;
      }
      case Kind.open: {
        const id = f.id;
        const pipe = new QueuePipe({
          send: (body) => writer.write(encodeFrame(Kind.data, id, undefined, body)),
          end: () => writer.write(encodeFrame(Kind.end, id, undefined)),
          fail: (err) =>
            writer.write(encodeFrame(Kind.error, id, undefined, Buffer.from(JSON.stringify(err)))),
          release: () => streams.delete(id),
        });
        streams.set(id, pipe);
        const info: CallInfo = { remote, protocol: 'tcp' };
        handler.stream({ header: f.header, body: f.body }, pipe, info);
        return;
      }
      case Kind.data:
        streams.get(f.id)?.deliver(f.body);
        return;
      case Kind.end:
        streams.get(f.id)?.remoteEnd();
        return;
      case Kind.error:
        streams.get(f.id)?.remoteFail(parseError(f.body.toString('utf8'), ID));
        return;
      case Kind.ping:
        writer.write(encodeFrame(Kind.pong, f.id, undefined));
        return;
      default:
        throw badRequest(ID, `unknown frame kind ${f.kind}`);
    }
  };

  const reader = new FrameReader(onFrame);
  const onData = (chunk: Buffer): void => {
    try {
      reader.push(chunk);
    } catch (err) {
      // A peer that breaks the framing gets one error frame with id 0, then the connection closes.
      const e = toMicroError(err, ID);
      socket.end(
        encodeFrame(
          Kind.error,
          0,
          undefined,
          Buffer.from(JSON.stringify(badRequest(ID, e.detail))),
        ),
      );
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    for (const info of calls.values()) info.onCancel?.();
    calls.clear();
    const lost = badGateway(ID, `connection from ${remote} closed`);
    for (const pipe of streams.values()) pipe.remoteFail(lost);
    streams.clear();
  });
  if (rest.length > 0) onData(rest);
  return writer;
}
