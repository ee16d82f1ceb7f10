// JSON Schema as TypeScript source, for `micro gen client`: the keywords the registry's schemas use
// (types, properties and required, items, enum and const, anyOf/oneOf/allOf, additionalProperties,
// local $refs), bounded in depth and size; anything it cannot say exactly becomes `unknown`.
import type { Schema } from '../../registry/registry.ts';

/** Nesting beyond this is written `unknown`: a schema from the registry is not trusted to be small. */
const MAX_DEPTH = 24;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A property name as TypeScript accepts it: bare when an identifier, quoted otherwise. */
export function propertyName(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

/** A doc comment's text that cannot end the comment early or span lines oddly. */
export function docText(text: string): string {
  return text.replaceAll('*/', '*\\/').replace(/\s+/g, ' ').trim().slice(0, 500);
}

/** Writes TypeScript types for the schemas of one document, sharing named definitions ($defs). */
export class TypeWriter {
  /** Named types for the `$defs`/`definitions` met so far: name -> source. */
  readonly named = new Map<string, string>();
  #root: Record<string, unknown> = {};
  #prefix = '';

  /** The TypeScript type for a schema (`unknown` for none); `prefix` names its $defs types. */
  type(schema: Schema | undefined, prefix: string): string {
    if (!schema) return 'unknown';
    this.#root = schema;
    this.#prefix = prefix;
    return this.#type(schema, 0, '');
  }

  #type(s: unknown, depth: number, indent: string): string {
    if (s === true || s === undefined) return 'unknown';
    if (s === false) return 'never';
    if (!isObject(s) || depth > MAX_DEPTH) return 'unknown';
    if (typeof s.$ref === 'string') return this.#ref(s.$ref, depth);
    if ('const' in s) return literal(s.const);
    if (Array.isArray(s.enum)) return union(s.enum.map(literal));
    for (const key of ['anyOf', 'oneOf'] as const)
      if (Array.isArray(s[key])) return union(s[key].map((o) => this.#type(o, depth + 1, indent)));
    if (Array.isArray(s.allOf))
      return s.allOf.map((o) => `(${this.#type(o, depth + 1, indent)})`).join(' & ') || 'unknown';
    const types = Array.isArray(s.type) ? s.type.map(String) : [s.type];
    const out = types.map((t) => this.#single(s, t, depth, indent));
    return union(s.nullable === true ? [...out, 'null'] : out);
  }

  #single(s: Record<string, unknown>, type: unknown, depth: number, indent: string): string {
    switch (type) {
      case 'string':
        return 'string';
      case 'number':
      case 'integer':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'null':
        return 'null';
      case 'array':
        return this.#array(s, depth, indent);
      case 'object':
        return this.#object(s, depth, indent);
      case undefined:
        return isObject(s.properties) ? this.#object(s, depth, indent) : 'unknown';
      default:
        return 'unknown';
    }
  }

  #array(s: Record<string, unknown>, depth: number, indent: string): string {
    const tuple = Array.isArray(s.prefixItems)
      ? s.prefixItems
      : Array.isArray(s.items)
        ? s.items
        : undefined;
    if (tuple) return `[${tuple.map((i) => this.#type(i, depth + 1, indent)).join(', ')}]`;
    const item = this.#type(s.items, depth + 1, indent);
    return /^[\w.]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
  }

  #object(s: Record<string, unknown>, depth: number, indent: string): string {
    const props = isObject(s.properties) ? Object.entries(s.properties) : [];
    const required = new Set(Array.isArray(s.required) ? s.required.map(String) : []);
    const inner = `${indent}  `;
    const lines: string[] = [];
    for (const [name, value] of props) {
      const description =
        isObject(value) && typeof value.description === 'string' ? value.description : '';
      if (description) lines.push(`${inner}/** ${docText(description)} */`);
      const optional = required.has(name) ? '' : '?';
      lines.push(
        `${inner}${propertyName(name)}${optional}: ${this.#type(value, depth + 1, inner)};`,
      );
    }
    const extra = s.additionalProperties;
    if (extra !== undefined && extra !== false) {
      const value = extra === true ? 'unknown' : this.#type(extra, depth + 1, inner);
      // An index signature must admit every named property's type too.
      const all = props.length > 0 && value !== 'unknown' ? 'unknown' : value;
      lines.push(`${inner}[key: string]: ${all};`);
    }
    if (lines.length === 0)
      return extra === false ? 'Record<string, never>' : 'Record<string, unknown>';
    return `{\n${lines.join('\n')}\n${indent}}`;
  }

  /** A local reference: `#/$defs/X` or `#/definitions/X` becomes a named type, written once. */
  #ref(ref: string, depth: number): string {
    const m = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
    const defs = m ? this.#root[m[1] as string] : undefined;
    const target = m && isObject(defs) ? defs[decodeURIComponent(m[2] as string)] : undefined;
    if (ref === '#') return this.#named('Self', this.#root, depth);
    if (!m || target === undefined) return 'unknown';
    return this.#named(m[2] as string, target, depth);
  }

  #named(raw: string, schema: unknown, depth: number): string {
    const name = `${this.#prefix}${pascal(raw)}`;
    if (!this.named.has(name)) {
      this.named.set(name, 'unknown'); // a recursive reference finds the name while it is written
      this.named.set(name, this.#type(schema, depth + 1, ''));
    }
    return name;
  }
}

/** A name as a TypeScript type name: `user-srv` -> `UserSrv`. */
export function pascal(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return /^[A-Za-z_]/.test(joined) ? joined : `_${joined}`;
}

function literal(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null
    ? JSON.stringify(v)
    : 'unknown';
}

function union(parts: string[]): string {
  const unique = [...new Set(parts)];
  if (unique.length === 0) return 'never';
  if (unique.includes('unknown')) return 'unknown';
  return unique.join(' | ');
}
