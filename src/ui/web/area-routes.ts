// The dashboard's routes to a platform area it holds as an interface (events, db), beside the
// store, config and sync routes of platform.ts that call their services' endpoints: each route of a
// table names the fields it takes (parsed and refused as platform.ts does) and the method of the
// interface it runs. The field helpers check the type of each value before the interface sees it,
// so a hostile request is a 400 naming the field whatever engine is behind the interface.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MicroError, badRequest } from '../../runtime/index.ts';
import { bodyRequest, queryRequest, type Kind } from './platform.ts';
import { WEB_ID } from './web.ts';

/** A request's fields as the route parsed them: GET values by kind, POST values as sent. */
export type Fields = Record<string, unknown>;

/** One route: its method, the fields it takes, and what it does with the area. */
export interface AreaRoute<A> {
  method: 'GET' | 'POST';
  fields: Record<string, Kind>;
  run: (area: A, request: Fields) => Promise<unknown>;
}

/** A GET route of an area. */
export const areaGet = <A>(
  fields: Record<string, Kind>,
  run: AreaRoute<A>['run'],
): AreaRoute<A> => ({ method: 'GET', fields, run });

/** A POST route of an area (admitted only from the dashboard's pages, by the POST guard). */
export const areaPost = <A>(
  fields: Record<string, Kind>,
  run: AreaRoute<A>['run'],
): AreaRoute<A> => ({ method: 'POST', fields, run });

/**
 * Adds every route of a table under /_/api/<path>. Without the area (a dashboard started with no
 * events or db) each answers 501 saying so.
 */
export function registerArea<A>(
  app: FastifyInstance,
  o: {
    name: string;
    area: A | undefined;
    routes: Readonly<Record<string, AreaRoute<A>>>;
    fail: (reply: FastifyReply, err: unknown) => FastifyReply;
  },
): void {
  for (const [path, route] of Object.entries(o.routes)) {
    const run = (request: Fields) => {
      if (o.area === undefined)
        throw new MicroError(WEB_ID, 501, `this dashboard was started without the ${o.name} area`);
      return route.run(o.area, request);
    };
    if (route.method === 'GET')
      app.get<{ Querystring: Record<string, unknown> }>(`/_/api/${path}`, async (req, reply) => {
        try {
          return await run(queryRequest(path, route, req.query));
        } catch (err) {
          return o.fail(reply, err);
        }
      });
    else
      app.post<{ Body: unknown }>(`/_/api/${path}`, async (req, reply) => {
        try {
          return await run(bodyRequest(path, route, req.body));
        } catch (err) {
          return o.fail(reply, err);
        }
      });
  }
}

/** A field that must be a non-empty string. */
export function needText(r: Fields, name: string): string {
  const v = r[name];
  if (typeof v !== 'string' || v === '') throw badRequest(WEB_ID, `${name} is required`);
  return v;
}

/** An optional string field (an empty one counts as absent). */
export function optText(r: Fields, name: string, max = 1024): string | undefined {
  const v = r[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw badRequest(WEB_ID, `${name} must be a string`);
  if (v.length > max) throw badRequest(WEB_ID, `${name} is longer than ${max} characters`);
  return v;
}

/** An optional whole number from min to max. */
export function optInt(r: Fields, name: string, min: number, max: number): number | undefined {
  const v = r[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw badRequest(
      WEB_ID,
      `${name} must be a whole number from ${min} to ${max}, not ${String(JSON.stringify(v)).slice(0, 20)}`,
    );
  return v;
}

/** An optional boolean. */
export function optBool(r: Fields, name: string): boolean | undefined {
  const v = r[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw badRequest(WEB_ID, `${name} must be true or false`);
  return v;
}

/** A field that must be a JSON object (not an array, not null). */
export function needObject(r: Fields, name: string): Record<string, unknown> {
  const v = r[name];
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw badRequest(WEB_ID, `${name} must be a JSON object`);
  return v as Record<string, unknown>;
}

/** An optional JSON object given as JSON text (a GET's query value). */
export function optJsonObject(r: Fields, name: string): Record<string, unknown> | undefined {
  const v = optText(r, name, 64 * 1024);
  if (v === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch (err) {
    throw badRequest(WEB_ID, `${name} is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  return needObject({ [name]: parsed }, name);
}

/** Bytes of JSON text past which a value is shown cut in a list (its own read shows it whole). */
export const LIST_VALUE_BYTES = 64 * 1024;

/** The value's JSON text when it is longer than LIST_VALUE_BYTES, else undefined. */
export function tooLong(value: unknown): number | undefined {
  const json = JSON.stringify(value) ?? '';
  if (json.length <= LIST_VALUE_BYTES) return undefined;
  return Buffer.byteLength(json);
}

/** The object without its undefined values (the engines see only the options given). */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
