// The resiliency policy file: Dapr's Resiliency resource (apiVersion dapr.io/v1alpha1, kind
// Resiliency; YAML or JSON), read unchanged into the runtime's ResiliencyPolicy, plus micro's own
// sections (bulkheads, retryBudgets, hedges). MICRO_RESILIENCY names it (a file, or a directory as
// Dapr's --resources-path: its Resiliency resource is found among the YAML and JSON files there);
// services, the gateway, the sidecar and the CLI read it once at start (a change needs a restart).
//
// Mapping: spec.targets.apps.<service> -> targets[service]; Dapr's default policy names
// (DefaultAppRetryPolicy over DefaultRetryPolicy, the same for Timeout, CircuitBreaker and micro's
// Bulkhead, RetryBudget, Hedge) -> default, resolved per kind as Dapr does. Differences, each said
// by a warning when a file meets it: a timeout bounds the whole call with its retries (Dapr times
// each attempt); `matching` status codes are not applied (micro retries connection errors, 408 and
// 5xx); a breaker is per node of the target, not per target; actors and components targets and
// their default policies have no meaning in micro; `maxRetries: -1` retries until the call's
// timeout, at most UNLIMITED_RETRIES times. A bad file is a TypeError naming the file, the path in
// it and what is wrong.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ResiliencyPolicy } from '../../runtime/resilience/policy.ts';
import { invalid, mapping, onlyKeys, type Place } from './policy-dapr.ts';
import { defaults, readPolicies, readTargets, timingNotes } from './policy-spec.ts';

/** The largest policy file read, in bytes. */
export const MAX_POLICY_FILE = 1024 * 1024;

/** A parsed resiliency file. */
export interface PolicyFile {
  /** What the runtime applies (empty when the file is scoped to other apps). */
  policy: ResiliencyPolicy;
  /** What the file asks that micro does not do, one line each, naming it. */
  warnings: string[];
  /** The apps the file is scoped to (Dapr's `scopes`), when it says. */
  scopes?: string[];
}

/** Options of reading a policy file. */
export interface PolicyReadOptions {
  /** The app reading it, checked against the file's `scopes` (none: not checked). */
  app?: string;
}

/** Reads one Resiliency resource (an object already parsed from YAML or JSON). */
export function resiliencyFrom(
  doc: unknown,
  file: string,
  options: PolicyReadOptions = {},
): PolicyFile {
  const warnings: string[] = [];
  const warn = (m: string): void => void warnings.push(m);
  const root: Place = { file, path: '(top)' };
  const r = mapping(doc, root);
  const top = (key: string): Place => ({ file, path: key });
  if (r.apiVersion !== 'dapr.io/v1alpha1')
    throw invalid(
      top('apiVersion'),
      `must be dapr.io/v1alpha1, not ${JSON.stringify(r.apiVersion)}`,
    );
  if (r.kind !== 'Resiliency')
    throw invalid(top('kind'), `must be Resiliency, not ${JSON.stringify(r.kind)}`);
  for (const key of Object.keys(r))
    if (!['apiVersion', 'kind', 'metadata', 'scopes', 'spec', 'version'].includes(key))
      warn(`${key} is not used: micro reads apiVersion, kind, metadata, scopes and spec`);
  if (r.metadata !== undefined) mapping(r.metadata, top('metadata'));
  let scopes: string[] | undefined;
  if (r.scopes !== undefined && r.scopes !== null) {
    if (!Array.isArray(r.scopes) || r.scopes.some((s) => typeof s !== 'string' || s === ''))
      throw invalid(top('scopes'), 'must be a list of app ids');
    scopes = r.scopes as string[];
  }
  const spec = mapping(r.spec, top('spec'));
  onlyKeys(spec, ['policies', 'targets'], top('spec'));
  const parsed = readPolicies(spec.policies, top('spec.policies'), warn);
  const policy: ResiliencyPolicy = {};
  const d = defaults(parsed, top('spec'), warn);
  if (d) policy.default = d;
  const targets = readTargets(spec.targets, parsed, top('spec.targets'), warn);
  if (Object.keys(targets).length) policy.targets = targets;
  timingNotes(policy, parsed, warn);
  if (scopes && scopes.length > 0 && options.app !== undefined && !scopes.includes(options.app)) {
    warnings.unshift(`scoped to ${scopes.join(', ')}: not applied to ${options.app}`);
    return { policy: {}, warnings, scopes };
  }
  return { policy, warnings, ...(scopes && { scopes }) };
}

/** The documents of a YAML (or JSON) text, each a plain value; a syntax error names the line. */
function documents(text: string, file: string): unknown[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  return list.map((d) => {
    const [err] = d.errors;
    if (err) {
      const line = err.linePos?.[0];
      throw new TypeError(
        `resiliency file ${file}: not valid YAML or JSON${line ? ` (line ${line.line}, column ${line.col})` : ''}: ${err.message.split('\n')[0] ?? ''}`,
      );
    }
    return d.toJS({ maxAliasCount: 100 }) as unknown;
  });
}

/** True for a document that is a Kubernetes-style resource of another kind (a Dapr Component...). */
const otherKind = (d: unknown): d is { kind: unknown } =>
  typeof d === 'object' && d !== null && 'kind' in d && d.kind !== 'Resiliency';

/** Parses the text of a resiliency file (YAML or JSON; one Resiliency resource among its documents). */
export function parseResiliency(
  text: string,
  file: string,
  options: PolicyReadOptions = {},
): PolicyFile {
  const docs = documents(text, file).filter((d) => d !== null && d !== undefined);
  const skipped = docs.filter(otherKind);
  const mine = docs.filter((d) => !otherKind(d));
  if (mine.length !== 1)
    throw new TypeError(
      `resiliency file ${file}: ${mine.length === 0 ? 'has no Resiliency resource (apiVersion: dapr.io/v1alpha1, kind: Resiliency)' : `has ${mine.length} Resiliency resources; micro reads one: merge them`}`,
    );
  const out = resiliencyFrom(mine[0], file, options);
  for (const d of skipped)
    out.warnings.push(
      `a resource of kind ${JSON.stringify(d.kind)} is not used: micro reads kind Resiliency`,
    );
  return out;
}

/** Reads the file (or the Resiliency resource among the .yaml, .yml and .json files of a directory). */
export function readResiliency(path: string, options: PolicyReadOptions = {}): PolicyFile {
  let file = path;
  let text: string;
  let directory: boolean;
  try {
    directory = statSync(path).isDirectory();
    if (directory) {
      const found = readdirSync(path)
        .filter((f) => /\.(ya?ml|json)$/i.test(f))
        .sort()
        .map((f): [string, string] => [join(path, f), readBounded(join(path, f))])
        .filter(([f, t]) =>
          documents(t, f).some((d) => typeof d === 'object' && d !== null && !otherKind(d)),
        );
      if (found.length !== 1)
        throw new TypeError(
          `resiliency directory ${path}: ${found.length === 0 ? 'no file in it holds a Resiliency resource (kind: Resiliency)' : `${found.length} files hold a Resiliency resource (${found.map(([f]) => f).join(', ')}); micro reads one`}`,
        );
      [file, text] = found[0] as [string, string];
    } else text = readBounded(path);
  } catch (err) {
    if (err instanceof TypeError) throw err;
    throw new TypeError(`resiliency file ${path}: cannot read it: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const out = parseResiliency(text, file, options);
  // In a resources directory, Dapr's components sit beside it: they are not the policy's business.
  if (directory) out.warnings = out.warnings.filter((w) => !w.startsWith('a resource of kind'));
  return out;
}

/** A file's text, refused past MAX_POLICY_FILE. */
function readBounded(file: string): string {
  const size = statSync(file).size;
  if (size > MAX_POLICY_FILE)
    throw new TypeError(
      `resiliency file ${file}: ${size} bytes is over the ${MAX_POLICY_FILE} bytes read`,
    );
  return readFileSync(file, 'utf8');
}

/** Options of policyFromEnv. */
export interface PolicyEnvOptions extends PolicyReadOptions {
  /** Told each warning (default: written to stderr). */
  warn?: (message: string) => void;
  /** The file to read instead of MICRO_RESILIENCY's (a flag such as --resiliency). */
  path?: string;
}

/**
 * The policy MICRO_RESILIENCY (or options.path) names, its warnings told to options.warn;
 * undefined when none is named or the file is scoped to other apps. A bad file throws a TypeError.
 */
export function policyFromEnv(
  env: NodeJS.ProcessEnv,
  options: PolicyEnvOptions = {},
): ResiliencyPolicy | undefined {
  const path = options.path || env.MICRO_RESILIENCY;
  if (!path) return undefined;
  const read = readResiliency(path, options);
  const warn = options.warn ?? ((m: string) => process.stderr.write(`micro: ${m}\n`));
  for (const w of read.warnings) warn(`resiliency file ${path}: ${w}`);
  return read.policy.default || read.policy.targets ? read.policy : undefined;
}
