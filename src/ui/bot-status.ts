// Running bots (`micro bot`, issue 22) as the dashboard, the explorer and `micro bot status` show
// them: each node of the registry's `bot` service asked for its `Bot.Status` directly (over its own
// transport, no retry), a few at a time, each within a timeout. A node that does not answer is a row
// with its error, not a failed read.
//
// Limits: BOT_LIMITS.nodes nodes at most (the rest counted, not asked). Each answer comes from
// another process: it is checked and cut, so a broken or hostile bot is shown as far as it is sound
// and never as more than bounded text: BOT_LIMITS.inputs inputs, BOT_LIMITS.commands commands,
// every string cut at BOT_LIMITS.text characters (control characters are the views' to escape).
import { BOT_SERVICE, BOT_STATUS_ENDPOINT, type BotStatus, type InputStatus } from '../bot/bot.ts';
import {
  MicroError,
  RegistryError,
  RegistryErrors,
  toMicroError,
  type Client,
  type ErrorShape,
  type Registry,
  type RegistryService,
} from '../runtime/index.ts';

/** Error id of what the views say about bots. */
const UI_ID = 'micro.ui';

/** How many of each thing are read and shown at most. */
export const BOT_LIMITS = {
  /** Bot nodes asked. */
  nodes: 64,
  /** Inputs of one bot. */
  inputs: 16,
  /** Commands of one bot. */
  commands: 500,
  /** Characters of any one string. */
  text: 300,
  /** Nodes asked at once. */
  concurrency: 8,
} as const;

/** How to start a bot, for the views to say when none runs. */
export const START_BOT = 'micro bot --inputs stdin';

/** One node of the `bot` service and what it answered. */
export interface BotNode {
  /** The node's id and address, and its service version. */
  node: string;
  address: string;
  version: string;
  /** Its Bot.Status, checked and cut; absent when it failed. */
  status?: BotStatus;
  /** Why it has no status. */
  error?: ErrorShape;
}

/** The bots found: the nodes asked (BOT_LIMITS.nodes at most) and how many there were. */
export interface Bots {
  bots: BotNode[];
  total: number;
}

/** The versions of the `bot` service in the registry; none when it is not registered. */
export async function botVersions(registry: Registry): Promise<RegistryService[]> {
  try {
    return await registry.getService(BOT_SERVICE);
  } catch (err) {
    if (err instanceof RegistryError && err.code === RegistryErrors.notFound) return [];
    throw err;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v.slice(0, BOT_LIMITS.text) : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const list = (v: unknown, max: number): Record<string, unknown>[] =>
  Array.isArray(v) ? v.slice(0, max).filter(isObject) : [];

/** A Bot.Status answer checked and cut (missing fields empty); undefined when it is no object. */
export function botStatusOf(body: unknown): BotStatus | undefined {
  if (!isObject(body)) return undefined;
  const inputs = list(body.inputs, BOT_LIMITS.inputs).map((i): InputStatus => {
    const detail = str(i.detail);
    return {
      name: str(i.name),
      connected: i.connected === true,
      since: num(i.since),
      ...(detail && { detail }),
    };
  });
  const commands = list(body.commands, BOT_LIMITS.commands).map((c) => {
    const service = str(c.service);
    return {
      name: str(c.name),
      usage: str(c.usage),
      description: str(c.description),
      changes: c.changes === true,
      ...(c.sensitive === true && { sensitive: true }),
      ...(service && { service }),
    };
  });
  return {
    started: num(body.started),
    inputs,
    commands,
    handled: Math.max(0, num(body.handled)),
    failed: Math.max(0, num(body.failed)),
  };
}

/** Asks one node for its status. */
async function ask(
  client: Client,
  s: RegistryService,
  node: RegistryService['nodes'][number],
  timeout: number,
): Promise<BotNode> {
  const row = { node: str(node.id), address: str(node.address), version: str(s.version) };
  try {
    const body = await client.call(s.name, BOT_STATUS_ENDPOINT, {}, { node, timeout, retries: 0 });
    const status = botStatusOf(body);
    if (!status) throw new MicroError(UI_ID, 502, `${BOT_STATUS_ENDPOINT} answered no object`);
    return { ...row, status };
  } catch (err) {
    const e = toMicroError(err, UI_ID).toJSON();
    return { ...row, error: { ...e, detail: str(e.detail) } };
  }
}

/**
 * Calls Bot.Status on every node of the given versions of the `bot` service (the first
 * BOT_LIMITS.nodes), BOT_LIMITS.concurrency at a time; rows in the order of the nodes given.
 */
export async function readBots(
  client: Client,
  versions: readonly RegistryService[],
  timeout: number,
): Promise<Bots> {
  const all = versions.flatMap((s) => s.nodes.map((node) => [s, node] as const));
  const asked = all.slice(0, BOT_LIMITS.nodes);
  const bots = new Array<BotNode>(asked.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < asked.length) {
      const i = next++;
      const [s, node] = asked[i]!;
      bots[i] = await ask(client, s, node, timeout);
    }
  };
  const workers = Math.min(BOT_LIMITS.concurrency, asked.length);
  await Promise.all(Array.from({ length: workers }, worker));
  return { bots, total: all.length };
}

/** The running bots of the registry: its `bot` service's nodes, each asked for its status. */
export async function findBots(registry: Registry, client: Client, timeout: number): Promise<Bots> {
  return readBots(client, await botVersions(registry), timeout);
}
