// Dapr's routing rules (`routes: {rules: [{match, path}], default}`): the first rule whose match
// holds picks the path, else the default. Dapr writes matches in CEL; the sidecar understands the
// part of it routing rules use: comparisons of an event attribute or data field with a literal
// (`event.type == "widget"`, `event.data.qty >= 10`, `event.source != 'x'`), joined by `&&` and
// `||` (`&&` first), with parentheses. Anything else is refused when the subscription is read, so
// a rule never silently matches nothing.

/** A compiled match: true when the event matches. */
export type Match = (event: Record<string, unknown>) => boolean;

type Token = { kind: 'op' | 'lit' | 'path' | 'paren'; text: string; value?: unknown };

const TOKEN =
  /\s*(?:(&&|\|\||==|!=|>=|<=|>|<)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(-?\d+(?:\.\d+)?)|(true|false|null)\b|(event(?:\.[A-Za-z_][A-Za-z0-9_]*)+)|([()]))/y;

function tokens(expr: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < expr.length && expr.slice(at).trim() !== '') {
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(expr);
    if (!m)
      throw new TypeError(`cannot read the match at ${JSON.stringify(expr.slice(at, at + 30))}`);
    at = TOKEN.lastIndex;
    if (m[1]) out.push({ kind: 'op', text: m[1] });
    else if (m[2]) {
      const body = m[2].slice(1, -1).replace(/\\(.)/g, '$1');
      out.push({ kind: 'lit', text: m[2], value: body });
    } else if (m[3]) out.push({ kind: 'lit', text: m[3], value: Number(m[3]) });
    else if (m[4])
      out.push({ kind: 'lit', text: m[4], value: m[4] === 'null' ? null : m[4] === 'true' });
    else if (m[5]) out.push({ kind: 'path', text: m[5] });
    else if (m[6]) out.push({ kind: 'paren', text: m[6] });
  }
  return out;
}

const lookup = (event: Record<string, unknown>, path: string): unknown => {
  let v: unknown = event;
  for (const part of path.split('.').slice(1)) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
};

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === '==') return a === b;
  if (op === '!=') return a !== b;
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
  const [x, y] = [a, b as typeof a];
  return op === '>' ? x > y : op === '<' ? x < y : op === '>=' ? x >= y : x <= y;
}

/** Compiles a routing rule's match; a TypeError naming the problem when it is not the supported CEL. */
export function compileMatch(expr: string): Match {
  if (expr.length > 1024) throw new TypeError('a match may be at most 1,024 characters');
  const list = tokens(expr);
  let i = 0;
  const peek = (): Token | undefined => list[i];
  const take = (): Token => {
    const t = list[i++];
    if (!t) throw new TypeError('the match ends too soon');
    return t;
  };
  const operand = (): Token => {
    const t = take();
    if (t.kind !== 'lit' && t.kind !== 'path')
      throw new TypeError(`expected a value, got ${t.text}`);
    return t;
  };
  const value = (t: Token, e: Record<string, unknown>): unknown =>
    t.kind === 'path' ? lookup(e, t.text) : t.value;
  const primary = (depth: number): Match => {
    if (depth > 20) throw new TypeError('the match nests too deep');
    if (peek()?.text === '(') {
      take();
      const inner = or(depth + 1);
      if (take().text !== ')') throw new TypeError('a parenthesis is not closed');
      return inner;
    }
    const left = operand();
    const op = take();
    if (op.kind !== 'op' || op.text === '&&' || op.text === '||')
      throw new TypeError(`expected a comparison after ${left.text}`);
    const right = operand();
    return (e) => compare(op.text, value(left, e), value(right, e));
  };
  const and = (depth: number): Match => {
    const parts = [primary(depth)];
    while (peek()?.text === '&&') {
      take();
      parts.push(primary(depth));
    }
    return (e) => parts.every((p) => p(e));
  };
  const or = (depth: number): Match => {
    const parts = [and(depth)];
    while (peek()?.text === '||') {
      take();
      parts.push(and(depth));
    }
    return (e) => parts.some((p) => p(e));
  };
  const match = or(0);
  if (i !== list.length) throw new TypeError(`unexpected ${list[i]?.text ?? ''} in the match`);
  return match;
}
