// A multi-service app: `micro.json` (or the "micro" key of package.json) lists the services of a
// folder with their paths, environment and what each depends on; `micro run` starts them in
// dependency order and stops them in reverse.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { badRequest } from '../runtime/errors.ts';

/** One service of an app, as micro.json declares it. */
export interface AppService {
  /** Its name in the app (the key in micro.json), used as its log prefix. */
  name: string;
  /** Its folder or entry file, relative to the app's folder. */
  path: string;
  /** Names of the services that must be callable before it starts. */
  depends: string[];
  /** Environment variables for it alone. */
  env: Record<string, string>;
}

/** An environment block: variables for every service, and per service. */
export interface AppEnvironment {
  env: Record<string, string>;
  services: Record<string, Record<string, string>>;
}

/** An app: its folder, its services in start order, its shared environment and its environments. */
export interface App {
  dir: string;
  /** Where the definition came from: micro.json or package.json. */
  source: string;
  /** In dependency order: each after everything it depends on. */
  services: AppService[];
  env: Record<string, string>;
  environments: Record<string, AppEnvironment>;
}

const ID = 'micro.cli';
const MAX_SERVICES = 256;
const NAME = /^[a-z][a-z0-9-]{0,62}$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Refuses keys it does not know (a typo such as "depend" must not pass silently). */
function onlyKeys(where: string, v: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(v).filter((k) => !known.includes(k));
  if (unknown.length > 0)
    throw badRequest(
      ID,
      `${where}: unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown
        .slice(0, 5)
        .map((k) => JSON.stringify(k.slice(0, 100)))
        .join(
          ', ',
        )}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; it takes ${known.join(', ')}`,
    );
}

/** The app defined in dir, or undefined when dir has neither micro.json nor a "micro" key in package.json. */
export function findApp(dir: string): App | undefined {
  const root = resolve(dir);
  const file = join(root, 'micro.json');
  if (existsSync(file)) return parseApp(root, 'micro.json', readJson(file));
  const pkg = join(root, 'package.json');
  if (!existsSync(pkg)) return undefined;
  const micro = (readJson(pkg) as Record<string, unknown> | undefined)?.micro;
  return micro === undefined ? undefined : parseApp(root, 'package.json "micro"', micro);
}

/** A definition larger than this is refused unread: a few hundred services fit in a few KiB. */
const MAX_BYTES = 1 << 20;

function readJson(file: string): unknown {
  if (statSync(file).size > MAX_BYTES)
    throw badRequest(ID, `${file} is over ${MAX_BYTES} bytes; an app definition is a short list`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw badRequest(ID, `${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function strings(where: string, v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (!isObject(v)) throw badRequest(ID, `${where} must be an object of strings`);
  for (const [k, value] of Object.entries(v))
    if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || value.includes('\0'))
      throw badRequest(
        ID,
        `${where}.${k.slice(0, 100)} must be a string without NUL, named as an environment variable`,
      );
  return v as Record<string, string>;
}

/** Checks an app definition and orders its services; every mistake is a 400 saying where. */
export function parseApp(dir: string, source: string, def: unknown): App {
  if (!isObject(def) || !isObject(def.services))
    throw badRequest(ID, `${source} needs "services": {"name": {"path": "./dir"}, ...}`);
  onlyKeys(source, def, ['services', 'env', 'environments']);
  const entries = Object.entries(def.services);
  if (entries.length === 0 || entries.length > MAX_SERVICES)
    throw badRequest(ID, `${source} must list 1 to ${MAX_SERVICES} services`);
  const services = entries.map(([name, s]): AppService => {
    if (!NAME.test(name))
      throw badRequest(
        ID,
        `${source} services.${name.slice(0, 100)}: a service name is lower-case letters, digits and -`,
      );
    const where = `${source} services.${name}`;
    if (!isObject(s)) throw badRequest(ID, `${where} must be an object with a "path"`);
    onlyKeys(where, s, ['path', 'depends', 'env']);
    const path = s.path ?? `./${name}`;
    if (typeof path !== 'string' || path === '')
      throw badRequest(ID, `${where}.path must be a path`);
    const depends = s.depends ?? [];
    if (!Array.isArray(depends) || !depends.every((d) => typeof d === 'string'))
      throw badRequest(ID, `${where}.depends must be a list of service names`);
    return { name, path, depends: depends, env: strings(`${where}.env`, s.env) };
  });
  const environments: Record<string, AppEnvironment> = {};
  if (def.environments !== undefined) {
    if (!isObject(def.environments))
      throw badRequest(ID, `${source} "environments" must be an object of environment blocks`);
    for (const [name, e] of Object.entries(def.environments)) {
      const where = `${source} environments.${name}`;
      if (!isObject(e)) throw badRequest(ID, `${where} must be an object`);
      onlyKeys(where, e, ['env', 'services']);
      const per: Record<string, Record<string, string>> = {};
      if (e.services !== undefined) {
        if (!isObject(e.services)) throw badRequest(ID, `${where}.services must be an object`);
        for (const [svc, vars] of Object.entries(e.services)) {
          if (!services.some((s) => s.name === svc))
            throw badRequest(ID, `${where}.services.${svc}: no such service in the app`);
          per[svc] = strings(`${where}.services.${svc}`, vars);
        }
      }
      environments[name] = { env: strings(`${where}.env`, e.env), services: per };
    }
  }
  return {
    dir,
    source,
    services: startOrder(source, services),
    env: strings(`${source} env`, def.env),
    environments,
  };
}

/** The services ordered so that each comes after what it depends on; unknown names and cycles are 400s. */
export function startOrder(source: string, services: AppService[]): AppService[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  for (const s of services)
    for (const d of s.depends)
      if (!byName.has(d))
        throw badRequest(
          ID,
          `${source} services.${s.name} depends on ${d}, which the app does not list`,
        );
  const ordered: AppService[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: AppService, path: string[]): void => {
    if (state.get(s.name) === 'done') return;
    if (state.get(s.name) === 'visiting')
      throw badRequest(
        ID,
        `${source}: the services depend on each other in a circle: ${[...path, s.name].join(' -> ')}`,
      );
    state.set(s.name, 'visiting');
    for (const d of s.depends) visit(byName.get(d) as AppService, [...path, s.name]);
    state.set(s.name, 'done');
    ordered.push(s);
  };
  for (const s of services) visit(s, []);
  return ordered;
}

/** The environment of one service under an environment block (none: the base one); unknown blocks are 400s. */
export function serviceEnv(
  app: App,
  service: AppService,
  environment?: string,
): Record<string, string> {
  if (environment === undefined) return { ...app.env, ...service.env };
  const block = app.environments[environment];
  if (!block)
    throw badRequest(
      ID,
      `${app.source} has no environment ${environment}; it has ${Object.keys(app.environments).join(', ') || 'none'}`,
    );
  return { ...app.env, ...service.env, ...block.env, ...block.services[service.name] };
}
