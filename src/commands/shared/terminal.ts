import { parseArgs } from 'node:util';
import { badRequest, toMicroError } from '../../runtime/errors.ts';
import type { Terminal, TerminalResult } from '../../ui/web/web.ts';
import { serviceText } from '../get.ts';
import { answering, healthOf, healthText } from '../health.ts';
import { servicesTable, topicsTable } from '../list.ts';
import { compareNatural } from '../../registry/listing.ts';
import { printable } from '../../registry/printable.ts';
import { servicesOnly, summarizeTopics } from '../../registry/topics.ts';
import { asMicroError, type Connection } from './connect.ts';
import { json as toJson } from './output.ts';
import { parseDuration, parseJson, parseMetadata } from './input.ts';
import { probeService } from './probe.ts';

const ID = 'micro.web';

/** What `help` prints: every command the browser terminal runs. */
const HELP = `commands (the CLI's read and call commands; nothing else runs here):
  list services [--prefix P] [--contains C] [--limit N]
                                            the services: name, versions, node count
  list topics                               the topics: subscribers, queue groups, services
  get service NAME                          a service's versions, nodes and endpoints
  call SERVICE ENDPOINT [JSON]              call an endpoint, e.g. call greeter Say.Hello '{"name":"Ann"}'
       [-d JSON] [-m k=v] [-t 5s]           the request, metadata and timeout
  health SERVICE [-t 2s]                    Debug.Health on every node
  clear                                     clear the screen
add -o json to list, get and health for JSON`;

/** Splits a command line into words as a shell would: spaces separate, quotes group, \\ escapes. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i] as string;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + (line[++i] as string);
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (quote) throw new TypeError(`unclosed ${quote} in the command line`);
  if (word !== undefined) words.push(word);
  return words;
}

/** The only commands the terminal runs. */
const COMMANDS = new Set(['help', 'list', 'get', 'call', 'health']);

const refused = (command: string): TerminalResult => ({
  output: `${command} is not a command here: the terminal runs list, get, call and health (help lists them)`,
  code: 1,
});

const usage = (what: string): TerminalResult => ({
  output: `usage: ${what}\n(help lists the commands)`,
  code: 1,
});

/**
 * The browser terminal: runs `list services`, `get service`, `call` and `health` against the
 * connection, printing what the CLI prints. Anything else is refused; -d takes JSON only (no
 * @file), and calls go through the registry (no --address).
 */
export function createTerminal(c: Connection): Terminal {
  const run = async (words: string[]): Promise<TerminalResult> => {
    const { values, positionals } = parseArgs({
      args: words,
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: 'string', short: 'o' },
        data: { type: 'string', short: 'd' },
        metadata: { type: 'string', short: 'm', multiple: true },
        timeout: { type: 'string', short: 't' },
        prefix: { type: 'string' },
        contains: { type: 'string' },
        limit: { type: 'string' },
      },
    });
    const json = values.output === 'json';
    // What the CLI prints: control characters from remote data escaped either way.
    const show = (data: unknown, text: () => string): string =>
      json ? toJson(data) : printable(text());
    const [command, ...args] = positionals;
    switch (command) {
      case 'help':
        return { output: HELP, code: 0 };
      case 'list': {
        const [what] = args;
        if ((what !== 'services' && what !== 'topics') || args.length > 1)
          return usage('list services, or list topics');
        const entries = await c.registry.listServices();
        if (what === 'topics') {
          const topics = summarizeTopics(entries);
          return { output: show(topics, () => topicsTable(topics)), code: 0 };
        }
        const limit = values.limit === undefined ? Infinity : Number(values.limit);
        if (!(limit > 0 && (Number.isInteger(limit) || limit === Infinity)))
          return usage('list services [--prefix P] [--contains C] [--limit N above 0]');
        const needle = values.contains?.toLowerCase();
        const found = servicesOnly(entries).filter(
          (s) =>
            (values.prefix === undefined || s.name.startsWith(values.prefix)) &&
            (needle === undefined || s.name.toLowerCase().includes(needle)),
        );
        found.sort(
          (a, b) => compareNatural(a.name, b.name) || compareNatural(a.version, b.version),
        );
        const shown = found.slice(0, limit);
        return { output: show(shown, () => servicesTable(shown)), code: 0 };
      }
      case 'get': {
        const [what, name] = args;
        if (what !== 'service' || !name || args.length > 2) return usage('get service NAME');
        const versions = await c.registry.getService(name);
        versions.sort((a, b) => compareNatural(a.version, b.version));
        return { output: show(versions, () => serviceText(versions)), code: 0 };
      }
      case 'call': {
        const [service, endpoint, body] = args;
        if (!service || !endpoint || args.length > 3) return usage('call SERVICE ENDPOINT [JSON]');
        if (body !== undefined && values.data !== undefined)
          return usage('call SERVICE ENDPOINT JSON, or -d JSON, not both');
        const source = body ?? values.data;
        const request =
          source === undefined ? {} : parseJson(source, body ? 'the request argument' : '-d');
        const metadata = parseMetadata(values.metadata);
        const response = await c.client.call(service, endpoint, request, {
          timeout: parseDuration(values.timeout),
          ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
        });
        return { output: toJson(response), code: 0 };
      }
      case 'health': {
        const [service] = args;
        if (!service || args.length > 1) return usage('health SERVICE');
        const timeout = parseDuration(values.timeout ?? '2s') ?? 2000;
        const probes = await probeService<{ status?: string }>(c, service, 'Debug.Health', timeout);
        const rows = probes.map((p) => healthOf(p));
        const healthy = rows.length > 0 && rows.every((r) => answering(r.status));
        return { output: show(rows, () => healthText(rows)), code: healthy ? 0 : 1 };
      }
      default:
        return refused(command ?? '');
    }
  };

  return async (line) => {
    try {
      const words = splitWords(line);
      if (words[0] === 'micro') words.shift();
      if (words.length === 0) return { output: '', code: 0 };
      if (!COMMANDS.has(words[0] ?? '')) return refused(words[0] ?? '');
      return await run(words);
    } catch (err) {
      const e = err instanceof TypeError ? badRequest(ID, err.message) : await asMicroError(err);
      return { output: toJson(toMicroError(e, ID), false), code: 1 };
    }
  };
}
