// How a node travels in DNS-SD: its instance name, and its record as TXT strings.
import { createHash } from 'node:crypto';
import type { Node, Service } from '../registry.ts';
import { copyService } from '../util.ts';
import { RegistryError, RegistryErrors } from '../registry.ts';
import type { RecordCheck } from '../validate.ts';
import type { Question } from './announce.ts';

const TXT_STRING_MAX = 255;
// One UDP datagram carries an announcement; leave room for the other records and headers.
const TXT_TOTAL_MAX = 60_000;

/** A DNS label unique to the node: readable prefix, hashed identity (labels stop at 63 bytes). */
export function instanceName(service: Service, node: Node): string {
  const id = `${service.name}\n${service.version}\n${node.id}`;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 16);
  return `${service.name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40)}-${hash}`;
}

/** The SRV port; informational only, since the node address travels in TXT. */
export function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : 9;
}

/** The TXT of one node (a service with one node); throws MICRO_ERR_REGISTRY_INVALID when it does not fit a datagram. */
export function nodeTxt(one: Service, ttl: number, rid: string): Record<string, string> {
  const txt = encodeTxt(one, ttl, rid);
  let size = 0;
  for (const [k, v] of Object.entries(txt)) size += Buffer.byteLength(`${k}=${v}`) + 1;
  if (size > TXT_TOTAL_MAX) {
    const node = one.nodes[0]?.id ?? '';
    throw new RegistryError(
      RegistryErrors.invalid,
      `service ${one.name} node ${node} needs ${size} bytes of mDNS TXT (limit ${TXT_TOTAL_MAX}); shorten its endpoint schemas or use another registry`,
    );
  }
  return txt;
}

/** TXT strings for one node; a value too long for one 255-byte string goes in `key.0`, `key.1`, ... */
function encodeTxt(s: Service, ttl: number, rid: string): Record<string, string> {
  const node = s.nodes[0];
  if (!node) throw new TypeError('one node per TXT record');
  const fields: [string, string][] = [
    ['rid', rid],
    ['ttl', String(ttl)],
    ['name', s.name],
    ['version', s.version],
    ['id', node.id],
    ['address', node.address],
    ['metadata', JSON.stringify(s.metadata)],
    ['node', JSON.stringify(node.metadata)],
    ['endpoints', JSON.stringify(s.endpoints)],
  ];
  const txt: Record<string, string> = {};
  for (const [key, value] of fields) {
    if (Buffer.byteLength(`${key}=${value}`) <= TXT_STRING_MAX) txt[key] = value;
    else
      for (const [i, part] of chunk(value, TXT_STRING_MAX - key.length - 6).entries())
        txt[`${key}.${i}`] = part;
  }
  return txt;
}

/** Splits on character boundaries into parts of at most `max` UTF-8 bytes. */
function chunk(value: string, max: number): string[] {
  const parts: string[] = [];
  let part = '';
  let size = 0;
  for (const ch of value) {
    const n = Buffer.byteLength(ch);
    if (size + n > max) {
      parts.push(part);
      part = '';
      size = 0;
    }
    part += ch;
    size += n;
  }
  parts.push(part);
  return parts;
}

/**
 * Reads what encodeTxt wrote; anything malformed or foreign gives undefined, and so does a record
 * or lease that breaks the rules of records (with a warning).
 */
export function decodeTxt(
  data: unknown,
  check: RecordCheck,
  from: string,
): { rid: string; ttl: number; service: Service } | undefined {
  if (!Array.isArray(data)) return undefined;
  const pairs = new Map<string, string>();
  for (const item of data as unknown[]) {
    const text = Buffer.isBuffer(item) ? item.toString('utf8') : '';
    const eq = text.indexOf('=');
    if (eq > 0) pairs.set(text.slice(0, eq), text.slice(eq + 1));
  }
  const field = (key: string): string => {
    const parts: string[] = [];
    while (pairs.has(`${key}.${parts.length}`))
      parts.push(pairs.get(`${key}.${parts.length}`) ?? '');
    const value = pairs.get(key) ?? (parts.length > 0 ? parts.join('') : undefined);
    if (value === undefined) throw new TypeError(`TXT has no ${key}`);
    return value;
  };
  const map = (v: unknown): Record<string, string> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('not a map');
    if (!Object.values(v).every((x) => typeof x === 'string')) throw new TypeError('not strings');
    return v as Record<string, string>;
  };
  try {
    const json = (key: string): unknown => JSON.parse(field(key));
    const endpoints = json('endpoints') as Service['endpoints'];
    if (!Array.isArray(endpoints) || endpoints.some((e) => typeof e?.name !== 'string')) return;
    endpoints.forEach((e) => map(e.metadata));
    const node = { id: field('id'), address: field('address'), metadata: map(json('node')) };
    const [name, version, metadata] = [field('name'), field('version'), map(json('metadata'))];
    const service: Service = { name, version, metadata, endpoints, nodes: [node] };
    const rid = field('rid');
    const ttl = Number(field('ttl'));
    if (!check.accept(service, from)) return undefined;
    const lease = check.acceptTtl(ttl, from);
    return lease === undefined ? undefined : { rid, ttl: lease, service: copyService(service) };
  } catch {
    return undefined;
  }
}

/** A question asking a node's publisher for its TXT record. */
export function txtQuestion(name: string): Question {
  return { name, type: 'TXT' };
}
