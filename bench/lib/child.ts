// The child side of protocol.ts: a server child that prints its address and a client child that
// runs one closed-loop load per run message; both stop on a stop message, SIGTERM or when the parent goes.
import { closedLoop, ownCpuMicros } from './closed-loop.ts';
import {
  addressLine,
  isRun,
  type FailedMessage,
  type ReadyMessage,
  type ResultMessage,
  type RunMessage,
} from './protocol.ts';

/** What a child holds open until it stops. */
export interface Closable {
  close(): Promise<void>;
}

/** Makes one call to the system under test; resolves with the decoded response. */
export interface Caller extends Closable {
  call(): Promise<unknown>;
}

/** The entry of table called name, loaded; or an error naming the known ones. */
export async function loadNamed<T>(
  table: Record<string, () => Promise<T>>,
  name: string | undefined,
  what = 'target',
): Promise<T> {
  const load = name === undefined ? undefined : table[name];
  if (!load)
    throw new Error(`unknown ${what} ${name ?? ''}; use one of ${Object.keys(table).join(', ')}`);
  return load();
}

/** A stop for this process: close what it holds (for 2 s at most), then exit; only once. */
export function stopper(held: () => Closable | undefined): () => void {
  let stopping = false;
  return () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 2000).unref();
    (held()?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
}

/** Prints server's address as this child's first stdout line, and closes it when the child stops. */
export function serveChild(server: Closable & { address: string }): void {
  process.stdout.write(addressLine(server.address));
  const stop = stopper(() => server);
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'stop') stop();
  });
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
}

/**
 * Runs this client child: connects, says ready (or failed, and stops), then answers each run
 * message with load's result for calls of the caller.
 */
export async function clientChild(
  connect: () => Promise<Caller>,
  load: (call: () => Promise<unknown>, run: RunMessage) => Promise<ResultMessage>,
): Promise<void> {
  const send = (m: ReadyMessage | ResultMessage | FailedMessage): void => {
    if (process.connected) process.send?.(m);
  };
  let caller: Caller | undefined;
  const stop = stopper(() => caller);
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);

  let busy = false;
  process.on('message', (m: unknown) => {
    if ((m as { type?: string }).type === 'stop') return stop();
    if (!isRun(m) || !caller) return;
    if (busy) return send({ type: 'failed', error: 'a run is already in progress' });
    busy = true;
    const c = caller;
    load(() => c.call(), m).then(
      (result) => {
        busy = false;
        send(result);
      },
      (err: unknown) => {
        busy = false;
        send({ type: 'failed', error: String(err) });
      },
    );
  });

  try {
    caller = await connect();
    send({ type: 'ready' });
  } catch (err) {
    send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
    stop();
  }
}

/**
 * Runs run's closed loop against call, probing this process's CPU time and the server's
 * (serverCpu); each extra probe's change over the window comes back under its own name.
 */
export async function cpuLoad<K extends string = never>(
  call: () => Promise<unknown>,
  run: RunMessage,
  serverCpu: () => number,
  extra = {} as Record<K, () => number>,
): Promise<ResultMessage & Record<K, number>> {
  const { deltas, ...stats } = await closedLoop(call, run, {
    client: ownCpuMicros,
    server: serverCpu,
    ...extra,
  });
  const named = Object.fromEntries(Object.keys(extra).map((k) => [k, deltas[k] ?? NaN]));
  return {
    type: 'result' as const,
    ...stats,
    clientCpuUs: deltas.client ?? NaN,
    serverCpuUs: deltas.server ?? NaN,
    ...(named as Record<K, number>),
  };
}
