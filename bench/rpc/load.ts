// The rpc benchmark's load: the shared closed loop, probing this client's and the server's CPU.
import { closedLoop, ownCpuMicros } from '../lib/closed-loop.ts';
import { procCpuMicros } from '../lib/processes.ts';
import type { ResultMessage, RunMessage } from './messages.ts';

/** Runs warm-up then the measured window against call, and reports the window. */
export async function runLoad(
  call: () => Promise<unknown>,
  run: RunMessage,
  serverPid: number,
  clockTicks: number,
): Promise<ResultMessage> {
  const r = await closedLoop(
    call,
    {
      inflight: run.inflight,
      warmupMs: run.warmupMs,
      measureMs: run.measureMs,
      maxCalls: run.maxCalls,
    },
    { client: ownCpuMicros, server: () => procCpuMicros(serverPid, clockTicks) },
  );
  return {
    type: 'result',
    calls: r.calls,
    errors: r.errors,
    firstError: r.firstError,
    seconds: r.seconds,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    serverCpuUs: r.deltas.server ?? NaN,
    clientCpuUs: r.deltas.client ?? NaN,
  };
}
