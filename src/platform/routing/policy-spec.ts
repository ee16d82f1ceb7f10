// The spec of a Dapr Resiliency resource: spec.policies (every named policy checked; Dapr's
// reserved default names sorted out) and spec.targets.apps, resolved as Dapr does per kind of
// policy: a target's named policy, else Default<App><Kind>Policy, else Default<Kind>Policy.
import type { ResiliencyPolicy, TargetPolicy } from '../../runtime/resilience/policy.ts';
import { budgetPolicy, bulkheadPolicy, hedgePolicy } from './policy-micro.ts';
import {
  breakerPolicy,
  duration,
  invalid,
  mapping,
  onlyKeys,
  retryPolicy,
  under,
  type Place,
  type RetrySpec,
} from './policy-dapr.ts';

/** The policy kinds: section under spec.policies, target key, the word in Dapr's default names. */
const KINDS = [
  ['timeouts', 'timeout', 'Timeout'],
  ['retries', 'retry', 'Retry'],
  ['circuitBreakers', 'circuitBreaker', 'CircuitBreaker'],
  ['bulkheads', 'bulkhead', 'Bulkhead'],
  ['retryBudgets', 'retryBudget', 'RetryBudget'],
  ['hedges', 'hedge', 'Hedge'],
] as const;

type Section = (typeof KINDS)[number][0];
export type Parsed = Map<Section, Map<string, unknown>>;

/** Parses one named policy of a section. */
function parsePolicy(
  section: Section,
  value: unknown,
  at: Place,
  warn: (m: string) => void,
): unknown {
  switch (section) {
    case 'timeouts':
      return duration(value, at);
    case 'retries':
      return retryPolicy(value, at, warn);
    case 'circuitBreakers':
      return breakerPolicy(value, at, warn);
    case 'bulkheads':
      return bulkheadPolicy(value, at);
    case 'retryBudgets':
      return budgetPolicy(value, at);
    case 'hedges':
      return hedgePolicy(value, at);
  }
}

/** Sets one kind of policy on a target. */
function apply(
  t: TargetPolicy,
  section: Section,
  value: unknown,
  at: Place,
  warn: (m: string) => void,
): void {
  switch (section) {
    case 'timeouts':
      if (value === 0)
        warn(`${at.path} is 0: micro has no unlimited timeout; the client's applies`);
      // Dapr times each attempt: so does micro's attemptTimeout (the call's whole time follows).
      else t.attemptTimeout = value as number;
      return;
    case 'retries': {
      const r = value as RetrySpec;
      t.retries = r.retries;
      t.backoff = r.backoff;
      return;
    }
    case 'circuitBreakers':
      t.breaker = value as TargetPolicy['breaker'];
      return;
    case 'bulkheads':
      t.bulkhead = value as TargetPolicy['bulkhead'];
      return;
    case 'retryBudgets':
      t.retryBudget = value as TargetPolicy['retryBudget'];
      return;
    case 'hedges':
      t.hedge = value as TargetPolicy['hedge'];
  }
}

/** Reads spec.policies: every named policy checked, Dapr's reserved names sorted out. */
export function readPolicies(value: unknown, at: Place, warn: (m: string) => void): Parsed {
  const policies = value === undefined ? {} : mapping(value, at);
  onlyKeys(
    policies,
    KINDS.map(([s]) => s),
    at,
  );
  const parsed: Parsed = new Map();
  for (const [section, , word] of KINDS) {
    const where = under(at, section);
    const named = policies[section] === undefined ? {} : mapping(policies[section], where);
    const out = new Map<string, unknown>();
    for (const [name, spec] of Object.entries(named)) {
      const place = under(where, name);
      const other = new RegExp(`^Default(\\w+)${word}Policy$`).exec(name);
      if (other && other[1] !== 'App')
        warn(
          `${place.path} is not used: it is Dapr's default for ${other[1]} operations (actors or components), which micro does not have`,
        );
      else if (name.startsWith('DaprBuiltIn'))
        warn(`${place.path} is not used: micro has no Dapr built-in retries to override`);
      out.set(name, parsePolicy(section, spec, place, warn));
    }
    parsed.set(section, out);
  }
  return parsed;
}

/** The named policy a target refers to, else a TypeError listing the names there are. */
function named(parsed: Parsed, section: Section, name: unknown, at: Place): unknown {
  const table = parsed.get(section) ?? new Map<string, unknown>();
  if (typeof name !== 'string' || !table.has(name)) {
    const there = [...table.keys()];
    throw invalid(
      at,
      `no ${section} policy named ${JSON.stringify(name)} in spec.policies.${section}${there.length ? ` (there are: ${there.join(', ')})` : ''}`,
    );
  }
  return table.get(name);
}

/** Dapr's defaults for apps, per kind: Default<App><Kind>Policy over Default<Kind>Policy. */
export function defaults(
  parsed: Parsed,
  spec: Place,
  warn: (m: string) => void,
): TargetPolicy | undefined {
  const t: TargetPolicy = {};
  for (const [section, , word] of KINDS) {
    const table = parsed.get(section);
    const name = [`DefaultApp${word}Policy`, `Default${word}Policy`].find((n) => table?.has(n));
    if (name)
      apply(
        t,
        section,
        table?.get(name),
        under(under(under(spec, 'policies'), section), name),
        warn,
      );
  }
  return Object.keys(t).length > 0 ? t : undefined;
}

/** Reads spec.targets: apps become targets; actors and components are named in a warning. */
export function readTargets(
  value: unknown,
  parsed: Parsed,
  at: Place,
  warn: (m: string) => void,
): Record<string, TargetPolicy> {
  const targets = value === undefined ? {} : mapping(value, at);
  onlyKeys(targets, ['apps', 'actors', 'components'], at);
  for (const kind of ['actors', 'components'] as const) {
    if (targets[kind] === undefined) continue;
    const names = Object.keys(mapping(targets[kind], under(at, kind)));
    if (names.length)
      warn(
        `${under(at, kind).path} (${names.join(', ')}) not applied: micro has no Dapr ${kind}; only spec.targets.apps are`,
      );
  }
  const apps = targets.apps === undefined ? {} : mapping(targets.apps, under(at, 'apps'));
  const out: Record<string, TargetPolicy> = {};
  for (const [app, spec] of Object.entries(apps)) {
    const place = under(under(at, 'apps'), app);
    // Would set the object's prototype, not a target (no service has that name).
    if (app === '__proto__') throw invalid(place, 'is not a service name');
    const refs = mapping(spec, place);
    onlyKeys(
      refs,
      KINDS.map(([, key]) => key),
      place,
    );
    const t: TargetPolicy = {};
    for (const [section, key] of KINDS) {
      const ref = refs[key];
      if (ref === undefined) continue;
      if (ref === false && (key === 'circuitBreaker' || key === 'retryBudget')) {
        if (key === 'circuitBreaker') t.breaker = false;
        else t.retryBudget = false;
        continue;
      }
      apply(t, section, named(parsed, section, ref, under(place, key)), under(place, key), warn);
    }
    out[app] = t;
  }
  return out;
}

/**
 * The one difference of timing a file can meet: a target with retries but no timeout has the
 * client's whole-call default (5 s), which a first wait as long as that leaves no time to retry.
 */
export function timingNotes(
  policy: ResiliencyPolicy,
  parsed: Parsed,
  warn: (m: string) => void,
): void {
  const waits = new Map<unknown, number | undefined>();
  for (const r of parsed.get('retries')?.values() ?? []) {
    const spec = r as RetrySpec;
    waits.set(spec.backoff, spec.firstWait);
  }
  const entries: [string, TargetPolicy | undefined][] = [
    ['the default', policy.default],
    ...Object.entries(policy.targets ?? {}).map(([name, own]): [string, TargetPolicy] => [
      name,
      { ...policy.default, ...own },
    ]),
  ];
  for (const [name, t] of entries) {
    // With a timeout per attempt, the call's whole time covers every attempt and wait.
    if (!t?.retries || t.attemptTimeout !== undefined) continue;
    const timeout = t.timeout ?? 5000;
    const first = waits.get(t.backoff);
    if (first !== undefined && first >= timeout)
      warn(
        `calls to ${name} time out after ${timeout} ms${t.timeout === undefined ? " (the client's default)" : ''}, retries included, before the first retry's wait of ${first} ms ends: no retry will be made`,
      );
  }
}
