// The Circuits table of `micro stats`: each calling node's circuits as the metrics service last
// read them (caller, target, node, state, failures in a row, since when), open and half-open ones
// first; closed ones only when asked for (--all).
import type { NodeCircuits } from '../../platform/metrics/metrics.ts';
import type { CircuitInfo } from '../../runtime/resilience/policy.ts';
import { table } from './output.ts';

const ORDER: Record<CircuitInfo['state'], number> = { open: 0, 'half-open': 1, closed: 2 };

/** A span of ms for people: 4s, 3m10s, 2h5m. */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** The caller as shown: its node id, with its service first unless the id starts with it. */
const callerOf = (n: NodeCircuits): string =>
  n.node.startsWith(`${n.service}-`) ? n.node : `${n.service}/${n.node}`;

/** A circuit's state, with when an open one lets its next probe through. */
const stateOf = (c: CircuitInfo, now: number): string =>
  c.state === 'open' && c.retryAt !== undefined
    ? `open (probe in ${span(c.retryAt - now)})`
    : c.state;

/**
 * The circuits as a table with a title line; closed ones only with `all`. Undefined when there is
 * nothing to show (no circuit, or only closed ones without `all`).
 */
export function circuitTable(
  nodes: NodeCircuits[],
  all: boolean,
  now = Date.now(),
): string | undefined {
  const rows = nodes
    .flatMap((n) => n.circuits.map((c) => ({ caller: callerOf(n), c })))
    .filter((r) => all || r.c.state !== 'closed')
    .sort(
      (a, b) =>
        ORDER[a.c.state] - ORDER[b.c.state] ||
        a.caller.localeCompare(b.caller) ||
        a.c.service.localeCompare(b.c.service) ||
        a.c.node.localeCompare(b.c.node),
    );
  if (rows.length === 0) return undefined;
  const hidden = all
    ? 0
    : nodes.reduce((n, x) => n + x.circuits.filter((c) => c.state === 'closed').length, 0);
  return [
    `Circuits${hidden > 0 ? ` (${hidden} closed not shown: --all shows them)` : ''}`,
    table(
      ['CALLER', 'TARGET', 'NODE', 'STATE', 'FAILURES', 'SINCE'],
      rows.map(({ caller, c }) => [
        caller,
        c.service,
        c.node,
        stateOf(c, now),
        String(c.failures),
        c.state !== 'closed' && c.openedAt !== undefined ? `${span(now - c.openedAt)} ago` : '-',
      ]),
    ),
  ].join('\n');
}
