import type { ServerResponse } from 'node:http';
import type { Metadata } from '../../runtime/metadata.ts';
import { send } from '../http-io.ts';
import type { GatewayRequest } from '../proxy.ts';
import { decodeBody } from '../request.ts';
import type { HandlerDeps } from './deps.ts';

/** `event`: `POST /event/<topic>` publishes the body (JSON or a form) to the topic through the broker; 202 once offered. */
export async function serveEvent(
  deps: HandlerDeps,
  req: GatewayRequest,
  body: Buffer | undefined,
  topic: string,
  metadata: Metadata,
  res: ServerResponse,
): Promise<void> {
  const message =
    body && body.length > 0 ? decodeBody(body, req.headers['content-type'], deps.limits) : {};
  await deps.client.publish(topic, message, { metadata });
  send(res, 202, JSON.stringify({ topic }));
}
