// What the store benchmark prints after its rounds: one table (a row per contender and op, medians
// over the rounds, CPU ratios against the raw Redis row measured in the same round), the contenders
// skipped and why, the config watch propagation, and the two goals as MET / NOT MET.
import { goal, printTable } from '../lib/load-bench.ts';
import type { LoopStats } from '../lib/closed-loop.ts';
import type { PerCall } from '../lib/protocol.ts';
import {
  errorsColumn,
  loadAverage,
  medianColumn,
  medianOf,
  medianRatio,
  perCallColumns,
  ratio,
  type Column,
} from '../lib/report.ts';
import type { Series } from '../lib/rounds.ts';
import { fmt } from '../lib/stats.ts';
import { GOAL, type Config } from './contenders.ts';
import type { StoreResultMessage } from './messages.ts';
import type { Propagation } from './watch.ts';

/** One contender's window of one op, with derived figures. */
export interface Sample extends StoreResultMessage, LoopStats, PerCall {
  /** Client plus server CPU time per op. */
  totalUsPerCall: number;
}

/** A column of the per-round ratio against the raw Redis row of the same op (name: get or put). */
const opRatio = (head: string, suffix: string): Column<Sample> => ({
  head,
  cell: (x) => {
    const op = x.samples[0]?.op;
    return op === undefined ? '-' : ratio(medianRatio(x, `${op}${suffix}`));
  },
});

/** Prints the table, the skipped contenders, the watch propagation and the goals. */
export function report(
  cfg: Config,
  series: Map<string, Series<Sample>>,
  skipped: Map<string, string>,
  propagation: Propagation | undefined,
): void {
  const rows = cfg.ops.flatMap((op) =>
    cfg.contenders.map((c) => ({ key: `${c.key}:${op}`, label: `${op}: ${c.label}` })),
  );
  printTable(
    cfg.rounds,
    'server CPU is the engine process (redis-server, etcd) or the control plane, plus the sidecar ' +
      'on its row; ratios are total (client + server) CPU per op, and client CPU alone, over the raw ' +
      `ioredis row of the same op in the same round. Load average ${loadAverage()}.`,
    rows,
    series,
    [
      ...perCallColumns<Sample>('ops/s', 'op'),
      medianColumn('total CPU us/op', (s) => s.totalUsPerCall, 1),
      {
        head: 'syscalls/op client / server',
        cell: (x) =>
          `${fmt(
            medianOf(x, (s) => s.clientSyscalls / Math.max(s.calls, 1)),
            2,
          )} / ${fmt(
            medianOf(x, (s) => s.serverSyscalls / Math.max(s.calls, 1)),
            2,
          )}`,
      },
      opRatio('CPU x ioredis', ''),
      opRatio('client CPU x ioredis', 'Client'),
      errorsColumn(),
    ],
  );
  for (const [key, why] of skipped) console.log(`skipped ${key}: ${why.split('\n')[0]}`);

  if (propagation) {
    const p = propagation;
    console.log(
      `\nConfig watch propagation: ${p.watchers} watches (micro Config client, one connection each) ` +
        `in one process, ${p.sets} sets one at a time from another, through the control plane; ` +
        `${fmt(p.events)} of ${fmt(p.watchers * p.sets)} events seen, clock offset ${fmt(p.offsetMs, 3)} ms.`,
    );
    console.log(
      `  from before set() to each watcher's event: p50 ${fmt(p.fromStart.p50, 2)} p99 ${fmt(p.fromStart.p99, 2)} max ${fmt(p.fromStart.max, 2)} ms`,
    );
    console.log(
      `  from set() returning to each watcher's event: p50 ${fmt(p.fromReturn.p50, 2)} p99 ${fmt(p.fromReturn.p99, 2)} ms; set() itself p50 ${fmt(p.setMs.p50, 2)} ms; control plane CPU ${fmt(p.cpUsPerSet)} us per set`,
    );
  } else if (cfg.watchers > 0) console.log('\nConfig watch propagation: not measured');

  const cpu = medianRatio(series.get(`${GOAL.contender}:get`), 'get');
  const client = medianRatio(series.get(`${GOAL.contender}:get`), 'getClient');
  console.log(
    `\nGoal: ` +
      goal(
        `a get through the control plane costs <= ${GOAL.maxCpuRatio}x a Redis GET from Node (ioredis) in CPU per op, ` +
          `counted as (micro client process + control plane process) over (ioredis client process + redis-server), median of per-round ratios`,
        `${ratio(cpu)} (client CPU alone ${ratio(client)})`,
        cpu,
        (v) => v <= GOAL.maxCpuRatio,
      ),
  );
  const p99 = propagation?.fromStart.p99 ?? Number.NaN;
  console.log(
    `Goal: ` +
      goal(
        `config watch propagation p99 <= ${GOAL.watchP99Ms} ms to ${cfg.watchers} watchers, from before set() to each watcher's event`,
        `${fmt(p99, 2)} ms`,
        p99,
        (v) => v <= GOAL.watchP99Ms,
      ),
  );
}
