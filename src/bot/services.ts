// Commands provided by services: every service whose registry record lists both `Command.Help` and
// `Command.Exec` (names configurable) is a bot command, found and kept current through the registry
// watch (the gateway's catalog, src/proxy/catalog.ts, whose generation says when to look again).
//
// Guarantees: Help is asked once per service version (the answer cached until that version is gone;
// a call that failed is asked again after 1 s, 2 s, ... up to a minute); a failing or malformed Help
// leaves the command out with one warning per version, not one per watch event. Of a service's
// versions, the newest (natural order) whose Help answered makes the command, and Exec calls go to
// that version. A name is kept by the service holding it; a free one goes to the first claimant in
// natural order (one warning for each other),
// and a name a built-in command matches is left to the built-in (one warning).
// Limits: at most 200 service versions are read (the first in natural order; one warning), 8 Help
// calls in flight (5 s each), each answer at most 4 KB; a change is seen within 250 ms of the
// catalog's; `ready` waits 1.5 s at most (a Help answering later adds its command then).
import { printable } from '../registry/printable.ts';
import type { Registry, Service } from '../registry/registry.ts';
import type { Client } from '../runtime/client/client.ts';
import { toMicroError } from '../runtime/errors.ts';
import { createCatalog, type Catalog } from '../proxy/catalog.ts';
import { BOT_DEFAULTS, type BotLogger, type Command } from './bot.ts';
import { readHelp, serviceCommand, type ServiceCommand } from './service-command.ts';

/** What createServiceCommands takes. */
export interface ServiceCommandsOptions {
  /** The registry watched (through a catalog of its own unless `catalog` is given). */
  registry: Registry;
  /** The client Help is asked through (Exec goes through the command context's client). */
  client: Client;
  /** Endpoint names (default `Command.Help`, `Command.Exec`). */
  helpEndpoint?: string;
  execEndpoint?: string;
  /** Where warnings go (default stderr). */
  logger?: BotLogger;
  /** A catalog to share (it is not closed by close()); default one made on `registry`. */
  catalog?: Catalog;
  /** The built-in commands: a service command whose name one of them matches is left out. */
  builtins?: readonly Command[];
  /** Ms an Exec call may take at most (default the bot's, 30 s); the command's signal may end it sooner. */
  timeout?: number;
}

/** The service-provided commands, kept current. */
export interface ServiceCommands {
  /** The commands known now, in natural order of their services. */
  commands(): ServiceCommand[];
  /** Resolves once the registry has been read and the Help of what it listed answered (or failed), or after 1.5 s. */
  ready: Promise<void>;
  /** Stops watching and asking. */
  close(): void;
}

/** Service versions read at most. */
export const MAX_SERVICE_COMMANDS = 200;
const MAX_INFLIGHT = 8;
const TICK = 250;
const HELP_TIMEOUT = 5000;
const READY_WAIT = 1_500;

/** What is known of one service version. */
interface Entry {
  service: Service;
  state: 'new' | 'asking' | 'ready' | 'failed' | 'bad';
  command?: ServiceCommand;
  attempts: number;
  retryAt: number;
  warned: Set<string>;
}

const natural = (a: string, b: string): number =>
  a.localeCompare(b, 'en', { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);

/** Watches the registry for services providing commands and makes a Command of each. */
export function createServiceCommands(o: ServiceCommandsOptions): ServiceCommands {
  const helpEndpoint = o.helpEndpoint ?? BOT_DEFAULTS.helpEndpoint;
  const execEndpoint = o.execEndpoint ?? BOT_DEFAULTS.execEndpoint;
  const timeout = o.timeout ?? BOT_DEFAULTS.timeout;
  const logger = o.logger ?? {
    info() {},
    warn: (m: string) => process.stderr.write(`micro bot: ${m}\n`),
  };
  const catalog = o.catalog ?? createCatalog({ registry: o.registry });
  const stop = new AbortController();
  const entries = new Map<string, Entry>();
  const asking = new Set<Promise<void>>();
  let list: ServiceCommand[] = [];
  let seen = -1;
  let capWarned = false;

  // One warning per entry and kind: a watch event re-reading the same version says nothing again.
  const warnOnce = (e: Entry, kind: string, message: string): void => {
    if (e.warned.has(kind)) return;
    e.warned.add(kind);
    logger.warn(`service ${e.service.name} ${e.service.version}: ${message}`);
  };

  const provides = (s: Service): boolean =>
    s.endpoints.some((ep) => ep.name === helpEndpoint) &&
    s.endpoints.some((ep) => ep.name === execEndpoint);

  // The entries follow the catalog: new versions added (to be asked), vanished ones dropped.
  const follow = (): void => {
    const found = catalog
      .all()
      .filter(provides)
      .sort((a, b) => natural(a.name, b.name) || natural(b.version, a.version));
    if (found.length > MAX_SERVICE_COMMANDS && !capWarned) {
      capWarned = true;
      logger.warn(
        `${found.length} service versions provide commands; the first ${MAX_SERVICE_COMMANDS} in name order are read`,
      );
    }
    const keep = new Map<string, Entry>();
    for (const s of found.slice(0, MAX_SERVICE_COMMANDS)) {
      const key = `${s.name}\u0000${s.version}`;
      const held = entries.get(key);
      if (held) held.service = s;
      keep.set(
        key,
        held ?? { service: s, state: 'new', attempts: 0, retryAt: 0, warned: new Set() },
      );
    }
    entries.clear();
    for (const [k, e] of keep) entries.set(k, e);
    rebuild();
  };

  // Who holds each name, kept across rebuilds: a newcomer does not take a name from its holder.
  const holders = new Map<string, string>();

  // The command list: per service its newest version with a Help, then the clash rules.
  const rebuild = (): void => {
    const candidates: Entry[] = [];
    let last = '';
    for (const e of entries.values()) {
      if (e.service.name === last || !e.command) continue;
      last = e.service.name;
      const { name } = e.command;
      // A built-in's first word too: a `list` command would take `list services please`.
      const builtin = o.builtins?.find(
        (b) => b.pattern.test(name) || b.name.split(' ')[0] === name.toLowerCase(),
      );
      if (builtin)
        warnOnce(e, 'builtin', `its command "${name}" is the built-in "${builtin.name}": left out`);
      else candidates.push(e);
    }
    // The holder of a name keeps it; a free name goes to the first claimant in natural order.
    const claimed = new Map<string, Entry>();
    const key = (e: Entry): string => e.command!.name.toLowerCase();
    for (const e of candidates) if (holders.get(key(e)) === e.service.name) claimed.set(key(e), e);
    for (const e of candidates) {
      const owner = claimed.get(key(e));
      if (!owner) claimed.set(key(e), e);
      else if (owner !== e)
        warnOnce(
          e,
          'clash',
          `its command "${e.command!.name}" is provided by ${owner.service.name} already: left out`,
        );
    }
    holders.clear();
    for (const [name, e] of claimed) holders.set(name, e.service.name);
    list = candidates.filter((e) => claimed.get(key(e)) === e).map((e) => e.command!);
  };

  const ask = (key: string, e: Entry): void => {
    e.state = 'asking';
    const { name, version } = e.service;
    const call = o.client
      .call<unknown>(
        name,
        helpEndpoint,
        {},
        { version, timeout: HELP_TIMEOUT, signal: stop.signal },
      )
      .then(
        (answer) => {
          const read = readHelp(answer, name);
          if ('problem' in read) {
            e.state = 'bad';
            warnOnce(e, 'help', `${helpEndpoint} ${read.problem}: no command`);
            return;
          }
          if (read.note) warnOnce(e, 'name', `${helpEndpoint}: ${read.note}`);
          e.state = 'ready';
          e.command = serviceCommand({
            service: name,
            version,
            help: read.help,
            execEndpoint,
            timeout,
          });
        },
        (err: unknown) => {
          e.state = 'failed';
          if (stop.signal.aborted) return;
          e.retryAt = Date.now() + Math.min(60_000, 1000 * 2 ** e.attempts++);
          const { code, detail } = toMicroError(err, 'micro.bot');
          warnOnce(
            e,
            'help',
            `${helpEndpoint} failed (${code}: ${printable(detail.slice(0, 200), false)}): no command until it answers`,
          );
        },
      )
      .finally(() => {
        asking.delete(call);
        if (stop.signal.aborted) return;
        if (entries.get(key) === e) rebuild();
        pump();
      });
    asking.add(call);
  };

  // Starts the Help calls that are due, a few at a time.
  const pump = (): void => {
    const now = Date.now();
    for (const [key, e] of entries) {
      if (asking.size >= MAX_INFLIGHT) return;
      if (e.state === 'new' || (e.state === 'failed' && now >= e.retryAt)) ask(key, e);
    }
  };

  const sync = (): void => {
    if (stop.signal.aborted) return;
    if (catalog.generation !== seen) {
      seen = catalog.generation;
      follow();
    }
    pump();
  };

  const tick = setInterval(sync, TICK);
  tick.unref();

  const read = (async () => {
    await catalog.ready;
    sync();
    // Each round waits for the calls in flight, which start the next ones: bounded by the entries.
    for (let round = 0; asking.size > 0 && round <= MAX_SERVICE_COMMANDS; round++)
      await Promise.allSettled([...asking]);
  })();
  // A registry or a Help that hangs delays the bot's start by READY_WAIT at most.
  let waited: NodeJS.Timeout | undefined;
  const ready = Promise.race([
    read,
    new Promise<void>((resolve) => (waited = setTimeout(resolve, READY_WAIT).unref())),
  ]).finally(() => clearTimeout(waited));

  return {
    commands() {
      sync();
      return list.slice();
    },
    ready,
    close() {
      stop.abort();
      clearInterval(tick);
      if (!o.catalog) catalog.close();
    },
  };
}
