// How `micro route` prints rules and their history for people: one row per destination, with
// its share of the route's calls as a percent and a bar, so a 90/10 split reads at a glance.
import type {
  Destination,
  Route,
  RoutesVersion,
  TrafficRule,
} from '../../platform/routing/routing.ts';
import { table } from '../shared/output.ts';

/** Characters of a share's bar. */
export const BAR_WIDTH = 20;

/** A bar of BAR_WIDTH characters, `percent` of it filled. */
export function bar(percent: number): string {
  const full = Math.round((Math.min(100, Math.max(0, percent)) / 100) * BAR_WIDTH);
  return '█'.repeat(full) + '░'.repeat(BAR_WIDTH - full);
}

/** A percent for people: whole numbers, one decimal below 10 (`0.5%`, `33%`). */
export function percentText(p: number): string {
  const rounded = p < 10 && p !== Math.round(p) ? Math.round(p * 10) / 10 : Math.round(p);
  return `${rounded}%`;
}

const labels = (m: Record<string, string> | undefined): string[] =>
  Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`);

/** Where a destination is: its version and labels, or any node. */
export function destinationText(d: Omit<Destination, 'weight'>): string {
  const parts = [...(d.version === undefined ? [] : [d.version]), ...labels(d.metadata)];
  return parts.length === 0 ? 'any node' : parts.join(' ');
}

/** What a route takes: an endpoint and metadata labels, or every call. */
export function matchText(r: Route): string {
  const parts = [
    ...(r.match?.endpoint === undefined ? [] : [r.match.endpoint]),
    ...labels(r.match?.metadata),
  ];
  return parts.length === 0 ? 'every call' : parts.join(' ');
}

/** Each destination's share of its route's calls in percent (weight 100 when not given). */
export function shares(to: Destination[]): number[] {
  const weights = to.map((d) => d.weight ?? 100);
  const total = weights.reduce((a, w) => a + w, 0);
  return weights.map((w) => (total === 0 ? 0 : (w / total) * 100));
}

/** A share as its percent, right-aligned, and its bar. */
const share = (percent: number): string => `${percentText(percent).padStart(4)} ${bar(percent)}`;

/** The rows of one rule: a route's first row names it, then one row per destination and mirror. */
function ruleRows(rule: TrafficRule, withService: boolean): string[][] {
  const rows: string[][] = [];
  rule.routes.forEach((route, i) => {
    const name = `${route.name ?? `#${i + 1}`}${route.sticky === undefined ? '' : ` (sticky ${route.sticky})`}`;
    const head = (j: number) => (j > 0 ? ['', ''] : [name, matchText(route)]);
    const p = shares(route.to);
    route.to.forEach((d, j) => rows.push([...head(j), destinationText(d), share(p[j] ?? 0)]));
    if (route.mirror !== undefined)
      rows.push([
        ...head(route.to.length),
        `copy to ${destinationText(route.mirror)} (mirror)`,
        share(route.mirror.percent),
      ]);
  });
  return withService ? rows.map((r, i) => [i === 0 ? rule.service : '', ...r]) : rows;
}

const HEADER = ['ROUTE', 'MATCH', 'TO', 'SHARE'];

/** One service's rule: a line saying who changed it last, then its routes. */
export function ruleText(rule: TrafficRule): string {
  const by = rule.author === undefined ? '' : ` by ${rule.author}`;
  const at =
    rule.updated === undefined ? '' : `, changed ${new Date(rule.updated).toISOString()}${by}`;
  const count = `${rule.routes.length} route${rule.routes.length === 1 ? '' : 's'}`;
  return `${rule.service}: ${count}${at}\n${table(HEADER, ruleRows(rule, false))}`;
}

/** Every rule, a service's rows under its name. */
export function rulesText(rules: TrafficRule[]): string {
  if (rules.length === 0) return 'no traffic rules: every call goes to any node of its service';
  return table(
    ['SERVICE', ...HEADER],
    rules.flatMap((r) => ruleRows(r, true)),
  );
}

/** The versions of the rules, newest first. */
export function historyText(versions: RoutesVersion[]): string {
  if (versions.length === 0) return 'no versions: the rules were never changed';
  return table(
    ['VERSION', 'WHEN', 'AUTHOR', 'ACTION'],
    versions.map((v) => [String(v.version), new Date(v.at).toISOString(), v.author, v.action]),
  );
}
