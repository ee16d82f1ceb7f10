import { resolve } from 'node:path';
import { badRequest, conflict, notFound } from '../runtime/errors.ts';
import { endpoint, serverStream } from '../runtime/server/handler.ts';
import type { Context } from '../runtime/context.ts';
import type { Supervisor } from './supervisor.ts';

const ID = 'runtime';

/** The Runtime handler: start, list, stop and read the logs of supervised services. */
export function runtimeHandler(supervisor: Supervisor): object {
  return {
    Create: endpoint(
      {
        request: {
          type: 'object',
          required: ['name', 'path'],
          properties: {
            name: { type: 'string', minLength: 1 },
            path: { type: 'string', minLength: 1 },
            env: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      },
      async (req: { name: string; path: string; env?: Record<string, string> }) => {
        try {
          return { process: supervisor.create(req.name, resolve(req.path), req.env) };
        } catch (err) {
          if (err instanceof TypeError) throw badRequest(ID, err.message);
          throw conflict(ID, (err as Error).message);
        }
      },
    ),
    List: endpoint({ request: { type: 'object' } }, async () => ({ processes: supervisor.list() })),
    Delete: endpoint(
      { request: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
      async (req: { name: string }) => {
        try {
          return { process: await supervisor.kill(req.name) };
        } catch (err) {
          throw notFound(ID, (err as Error).message);
        }
      },
    ),
    Logs: serverStream(
      async function* (req: { name: string; follow?: boolean }, ctx: Context) {
        try {
          for await (const line of supervisor.logs(req.name, req.follow === true, ctx.signal))
            yield { line };
        } catch (err) {
          if (err instanceof RangeError) throw notFound(ID, err.message);
          throw err;
        }
      },
      {
        request: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, follow: { type: 'boolean' } },
        },
      },
    ),
  };
}
