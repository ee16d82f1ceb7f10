import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { badRequest, conflict, MicroError, notFound } from '../runtime/errors.ts';
import { CREDENTIAL_VARIABLES } from './service-accounts.ts';
import { endpoint, serverStream } from '../runtime/server/declare.ts';
import type { Handler } from '../runtime/server/handler.ts';
import type { Context } from '../runtime/context.ts';
import { checkName } from './names.ts';
import type { Supervisor } from './supervisor.ts';

const ID = 'runtime';

/** Variables a caller may set for a service: micro's own (the broker, the transport...). */
const ENV_KEY = /^MICRO_[A-Z0-9_]{1,64}$/;
const MAX_ENV = 64;
const MAX_ENV_VALUE = 4096;
/** The longest Create may wait for a service to register: two minutes. */
const MAX_WAIT = 120_000;

/** A 400 for a bad name (TypeError), else what `otherwise` makes of the error. */
function answer(err: unknown, otherwise: (message: string) => Error): never {
  if (err instanceof TypeError) throw badRequest(ID, err.message);
  throw otherwise((err as Error).message);
}

/** Checks what Create is given: a name, an existing file, MICRO_* variables; a 400 or 404 says what is wrong. */
function checkCreate(req: { name: string; path: string; env?: Record<string, string> }): string {
  try {
    checkName(req.name);
  } catch (err) {
    answer(err, (m) => badRequest(ID, m));
  }
  if (!isAbsolute(req.path)) throw badRequest(ID, `path must be absolute: ${req.path}`);
  const path = resolve(req.path);
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(ID, `no file at ${path}`);
    throw badRequest(ID, `cannot read ${path} (${code})`);
  }
  if (!stat.isFile()) throw badRequest(ID, `${path} is not a file`);
  const env = Object.entries(req.env ?? {});
  if (env.length > MAX_ENV)
    throw badRequest(ID, `env has ${env.length} entries; the limit is ${MAX_ENV}`);
  for (const [k, v] of env) {
    if (!ENV_KEY.test(k))
      throw badRequest(
        ID,
        `env may only set MICRO_* variables, not ${JSON.stringify(k.slice(0, 70))}`,
      );
    if (k === 'MICRO_AUTH' || CREDENTIAL_VARIABLES.includes(k))
      throw badRequest(
        ID,
        `env may not set ${k}: with auth on, micro gives each service its own account's credentials`,
      );
    if (v.length > MAX_ENV_VALUE)
      throw badRequest(ID, `env.${k} is longer than ${MAX_ENV_VALUE} characters`);
  }
  return path;
}

/**
 * The Runtime handler: start (waiting, when asked, until the service registered or exited), list,
 * stop and read the logs of supervised services.
 */
export function runtimeHandler(supervisor: Supervisor): Handler {
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
            // Milliseconds to wait for the service to register (or exit) before answering.
            wait: { type: 'number', minimum: 0, maximum: MAX_WAIT },
            // Start it again when a file in its folder changes.
            watch: { type: 'boolean' },
          },
        },
      },
      async (req: {
        name: string;
        path: string;
        env?: Record<string, string>;
        wait?: number;
        watch?: boolean;
      }) => {
        const path = checkCreate(req);
        try {
          await supervisor.start(req.name, path, req.env, { watch: req.watch === true });
        } catch (err) {
          if (err instanceof MicroError) throw err;
          answer(err, (m) => conflict(ID, m));
        }
        const ready = req.wait ? await supervisor.ready(req.name, req.wait) : undefined;
        const info = supervisor.list().find((p) => p.name === req.name);
        return { process: info, ...(ready ? { ready } : {}) };
      },
    ),
    List: endpoint({ request: { type: 'object' } }, async () => ({ processes: supervisor.list() })),
    Delete: endpoint(
      { request: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
      async (req: { name: string }) => {
        try {
          return { process: await supervisor.kill(req.name) };
        } catch (err) {
          answer(err, (m) => notFound(ID, m));
        }
      },
    ),
    Logs: serverStream(
      {
        request: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string' },
            follow: { type: 'boolean' },
            // The last this many lines only.
            tail: { type: 'integer', minimum: 0 },
            // Lines written at or after this time only, in ms since the epoch.
            since: { type: 'number' },
          },
        },
      },
      async function* (
        req: { name: string; follow?: boolean; tail?: number; since?: number },
        ctx: Context,
      ) {
        const options = { follow: req.follow === true, tail: req.tail, since: req.since };
        try {
          for await (const { time, text } of supervisor.logs(req.name, options, ctx.signal))
            yield { line: text, ...(time === undefined ? {} : { time }) };
        } catch (err) {
          if (err instanceof RangeError) throw notFound(ID, err.message);
          if (err instanceof TypeError) throw badRequest(ID, err.message);
          throw err;
        }
      },
    ),
  };
}
