// Reads Prometheus' text exposition format (0.0.4) as a test needs it: each sample line as its
// name, labels (unescaped) and value, and each metric's TYPE; promtool, when installed, lints it.
import { spawnSync } from 'node:child_process';

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples and the declared types of an exposition. */
export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;

const unescape = (v: string): string =>
  v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));

/** Parses the text format; throws on a line that is none of comment, blank or sample. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (m) types.set(m[1]!, m[2]!);
      continue;
    }
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const l = LABEL.exec(body);
      if (!l) throw new Error(`bad labels: ${JSON.stringify(body)}`);
      labels[l[1]!] = unescape(l[2]!);
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** The samples named `name` whose labels include `match`. */
export function select(e: Exposition, name: string, match: Record<string, string> = {}): Sample[] {
  return e.samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
}

/**
 * promtool's complaints about the text (empty: none), or undefined when promtool is not installed;
 * lint lines about metrics not named `prefix*` (prom-client's own nodejs_*_total gauges) left out.
 */
export function promtoolCheck(text: string, prefix = 'micro_'): string | undefined {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) return undefined;
  return `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((l) => l.startsWith(prefix) || l.startsWith('error'))
    .join('\n');
}
