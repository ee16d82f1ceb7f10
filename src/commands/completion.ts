// `micro completion` prints the shell script; the script runs `micro --get-yargs-completions WORDS`
// on every TAB, answered here: commands and flags from yargs, names from the registry and runtime.
import type { Arguments, FallbackCompletionFunction } from 'yargs';
import { defineCommand } from './shared/command.ts';
import type { GlobalArgs } from './shared/options.ts';

/** `micro completion`: prints the bash (or zsh) completion script yargs generates. */
export const completionCommand = defineCommand({
  command: 'completion',
  describe: 'Print a bash completion script',
  builder: (y) => y,
  handler: async () => {
    // The script only names the program; it calls back `micro --get-yargs-completions`.
    const { default: yargs } = await import('yargs');
    yargs([]).scriptName('micro').showCompletionScript();
  },
});

/** The flag the completion script passes, followed by the words on the command line. */
export const COMPLETION_FLAG = '--get-yargs-completions';

/** Milliseconds a TAB waits for the registry or the runtime before completing nothing. */
export const COMPLETION_TIMEOUT = 300;

/** The wait: MICRO_COMPLETION_TIMEOUT milliseconds when set to a number (up to 10 s), else 300 ms. */
export function completionTimeout(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.MICRO_COMPLETION_TIMEOUT);
  return env.MICRO_COMPLETION_TIMEOUT && Number.isFinite(ms) && ms > 0
    ? Math.min(ms, 10_000)
    : COMPLETION_TIMEOUT;
}

/** What a positional word names, and so where its candidates come from. */
type Slot = 'service' | 'endpoint' | 'topic' | 'process' | 'account' | 'rule';

/** The positional words of each command (by the words that run it) that complete from names. */
const SLOTS: Record<string, readonly Slot[]> = {
  call: ['service', 'endpoint'],
  stream: ['service', 'endpoint'],
  doctor: ['service', 'endpoint'],
  health: ['service'],
  stats: ['service'],
  explore: ['service'],
  ui: ['service'],
  'get service': ['service'],
  'route get': ['service'],
  'route set': ['service'],
  'route weight': ['service'],
  'route match': ['service'],
  'route mirror': ['service'],
  'route delete': ['service'],
  publish: ['topic'],
  logs: ['process'],
  kill: ['process'],
  'auth accounts get': ['account'],
  'auth accounts update': ['account'],
  'auth accounts delete': ['account'],
  'auth rules delete': ['rule'],
};

/** The name slot the last word fills, and the service named before it; none for other words. */
export function slotOf(words: readonly string[]): { slot: Slot; service: string } | undefined {
  for (const [path, slots] of Object.entries(SLOTS)) {
    const command = path.split(' ');
    if (!command.every((w, i) => words[i] === w)) continue;
    const slot = slots[words.length - 1 - command.length];
    if (slot) return { slot, service: words[command.length] ?? '' };
  }
  return undefined;
}

/** What yargs made of the words: the parsed arguments, the word being completed, its candidates. */
interface Parsed {
  argv: Arguments & GlobalArgs;
  current: string;
  candidates: string[];
}

/**
 * Parses words as the CLI would, with every command, and takes yargs' own candidates (commands
 * and flags) without printing them: the parse goes as deep as the command named.
 */
async function parse(words: string[]): Promise<Parsed | undefined> {
  const [{ default: yargs }, { commands }, { withGlobalOptions }] = await Promise.all([
    import('yargs'),
    import('./index.ts'),
    import('./shared/options.ts'),
  ]);
  let parsed: Parsed | undefined;
  // A completion function with four parameters may ask for yargs' own candidates.
  const record: FallbackCompletionFunction = (current, argv, defaults, done) => {
    defaults((_err, candidates) => {
      parsed = { argv: argv as Parsed['argv'], current, candidates: candidates ?? [] };
      done([]);
    });
  };
  await withGlobalOptions(yargs([COMPLETION_FLAG, ...words]))
    .scriptName('micro')
    .command(commands)
    .env('MICRO')
    .help()
    .exitProcess(false)
    .completion('completion', false, record)
    // The parse carries on after completing and may find the words incomplete: that is expected.
    .fail(() => {})
    .parseAsync();
  return parsed;
}

/** Resolves with what work gives within ms, or undefined: a TAB must not hang. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>(
    (resolve) => (timer = setTimeout(() => resolve(undefined), ms)),
  );
  try {
    return await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The modules a lookup loads, loaded before its time starts: loading is not the registry's delay. */
const lookupModules = (slot: Slot): Promise<unknown[]> =>
  Promise.all([
    import('./shared/connect.ts'),
    import('./shared/runtime.ts'),
    import('../registry/index.ts'),
    import('../registry/topics.ts'),
    import('../runtime/errors.ts'),
    ...(slot === 'process'
      ? [import('../runtime/client/rpc-client.ts'), import('../runtime/transport/tcp/index.ts')]
      : []),
    ...(slot === 'account' || slot === 'rule'
      ? [import('../platform/auth/client.ts'), import('./shared/auth-token.ts')]
      : []),
  ]);

/** The names a slot offers: services, a service's endpoints, topics, background services, accounts or rules. */
async function names(
  slot: Slot,
  service: string,
  argv: GlobalArgs,
  timeout: number,
): Promise<string[]> {
  if (slot === 'account' || slot === 'rule') {
    // As the stored login (micro login): accounts and rules need an admin's token.
    const [{ withConnection }, { createMicroAuth }] = await Promise.all([
      import('./shared/connect.ts'),
      import('../platform/auth/client.ts'),
    ]);
    return withConnection(
      argv,
      async ({ client }) => {
        const auth = createMicroAuth({ client, timeout });
        return slot === 'account'
          ? (await auth.listAccounts()).map((a) => a.id)
          : (await auth.listRules()).map((r) => r.id);
      },
      { timeout },
    );
  }
  if (slot === 'process') {
    const { withRuntime } = await import('./shared/runtime.ts');
    const { processes } = await withRuntime(argv, (client) =>
      client.call<{ processes: { name: string }[] }>(
        'runtime',
        'Runtime.List',
        {},
        { timeout, retries: 0 },
      ),
    );
    return processes.map((p) => p.name);
  }
  const [{ withRegistry }, { servicesOnly, summarizeTopics }] = await Promise.all([
    import('./shared/connect.ts'),
    import('../registry/topics.ts'),
  ]);
  return withRegistry(
    argv,
    async (registry) => {
      if (slot === 'endpoint')
        return (await registry.getService(service)).flatMap((s) =>
          s.endpoints.filter((e) => e.metadata.subscriber !== 'true').map((e) => e.name),
        );
      const entries = await registry.listServices();
      return slot === 'topic'
        ? summarizeTopics(entries).map((t) => t.topic)
        : servicesOnly(entries).map((s) => s.name);
    },
    { timeout },
  );
}

/** A name as a shell word: only names printable() leaves as they are, with no blank in them. */
const shellWord = async (): Promise<(name: string) => boolean> => {
  const { printable } = await import('../registry/printable.ts');
  return (name) => name !== '' && printable(name, false) === name && !/\s/.test(name);
};

/**
 * The completions of words (the command line after the program's name, the last word being
 * completed): services, endpoints, topics or background services where a command takes one,
 * else yargs' commands and flags, without the `--d` it makes of a short alias after `--`.
 */
export async function completions(words: string[]): Promise<string[]> {
  const parsed = await parse(words);
  if (!parsed) return [];
  const { argv, current, candidates } = parsed;
  // bash and zsh pass the program's name first, fish does not.
  const positional = argv._.map(String);
  const { commandLoaders } = await import('./by-name.ts');
  if (positional.length > 0 && !Object.hasOwn(commandLoaders, positional[0] ?? ''))
    positional.shift();
  const slot = current.startsWith('-') ? undefined : slotOf(positional);
  if (!slot) return candidates.filter((c) => !/^--(no-)?[^-](?:$|[:\t])/.test(c));
  await lookupModules(slot.slot);
  const timeout = completionTimeout();
  const found = (await within(timeout, names(slot.slot, slot.service, argv, timeout))) ?? [];
  const safe = await shellWord();
  const zsh = /zsh/.test(process.env.SHELL ?? '') || /zsh/.test(process.env.ZSH_NAME ?? '');
  return [...new Set(found)]
    .filter((n) => n.startsWith(current) && safe(n))
    .sort()
    .map((n) => (zsh ? n.replace(/:/g, '\\:') : n));
}

/** Prints the completions of words, one a line; with exit, ends the process (a lookup may linger). */
export async function printCompletions(words: string[], exit: boolean): Promise<void> {
  let list: string[] = [];
  try {
    list = await completions(words);
  } catch {
    // A TAB prints nothing rather than an error.
  }
  process.stdout.write(list.map((c) => `${c}\n`).join(''));
  if (exit) process.exit(0);
}
