// Queries compiled to SQLite SQL for sqlite.ts. Every value is a bound parameter (@p0, @p1...);
// a caller's field path reaches SQL only as a bound JSON path parameter, or, for an indexed field,
// as the name of a generated column this module makes from a number (t3, v3). Generated columns
// are defined from a validated path written as a hex blob literal, so no text of a caller's is ever
// part of SQL, DDL included. The contract's type order is a rank (0 missing/null/object/array,
// 1 false, 2 true, 3 number, 4 string) then the value, which SQLite compares as the contract wants:
// numbers numerically, text by its UTF-8 bytes (code point order).
import {
  jsonPath,
  prefixEnd,
  rankOf,
  type FieldPath,
  type ParsedCondition,
  type ParsedQuery,
  type Scalar,
  type SortKey,
} from './query.ts';

/** A field as SQL: its type rank (SQL, or a constant for the record's own) and value. */
interface Field {
  rank: string | number;
  /** The value where the rank is that of a scalar (conditions check the rank first). */
  value: string;
  /** The value, NULL for whatever sorts as missing (ORDER BY). */
  sortValue: string;
  /** The bound JSON path (data fields only). */
  path?: string;
}

const OWN = { id: 'id', createdAt: 'created', updatedAt: 'updated' } as const;
const SCALAR_TYPES = `('true','false','integer','real','text')`;

const rankOfType = (type: string): string =>
  `CASE ${type} WHEN 'false' THEN 1 WHEN 'true' THEN 2 WHEN 'integer' THEN 3 WHEN 'real' THEN 3 WHEN 'text' THEN 4 ELSE 0 END`;

/** The path as an SQL literal that cannot hold anything but hex digits. */
const pathLiteral = (path: FieldPath): string =>
  `CAST(X'${Buffer.from(jsonPath(path)).toString('hex')}' AS TEXT)`;

/** The definitions of an indexed field's generated columns t<k> (rank) and v<k> (value). */
export function generatedColumns(k: number, path: FieldPath): [string, string] {
  const p = pathLiteral(path);
  return [
    `t${k} AS (${rankOfType(`json_type(data, ${p})`)}) VIRTUAL`,
    `v${k} AS (CASE WHEN json_type(data, ${p}) IN ${SCALAR_TYPES} THEN json_extract(data, ${p}) END) VIRTUAL`,
  ];
}

/** The columns an index on these fields covers (generated ones by number, own ones by name). */
export const indexColumns = (paths: FieldPath[], cols: (number | null)[]): string[] =>
  paths.flatMap((p, i) => (p.own ? [OWN[p.own]] : [`t${cols[i]!}`, `v${cols[i]!}`]));

/** Builds one statement's SQL and its named parameters. */
export class Compiler {
  readonly params: Record<string, unknown> = {};
  private n = 0;
  private readonly indexed: ReadonlyMap<string, number>;
  /** `indexed` maps an indexed field path to its generated columns' number. */
  constructor(indexed: ReadonlyMap<string, number>) {
    this.indexed = indexed;
  }

  /** A new parameter holding `value`, as SQL. */
  bind(value: unknown): string {
    const name = `p${this.n++}`;
    this.params[name] = typeof value === 'boolean' ? Number(value) : value;
    return `@${name}`;
  }

  field(path: FieldPath): Field {
    if (path.own) {
      const col = OWN[path.own];
      return { rank: path.own === 'id' ? 4 : 3, value: col, sortValue: col };
    }
    const p = this.bind(jsonPath(path));
    const k = this.indexed.get(path.field);
    if (k !== undefined) return { rank: `t${k}`, value: `v${k}`, sortValue: `v${k}`, path: p };
    const rank = rankOfType(`json_type(data, ${p})`);
    return {
      rank,
      value: `json_extract(data, ${p})`,
      sortValue: `CASE WHEN json_type(data, ${p}) IN ${SCALAR_TYPES} THEN json_extract(data, ${p}) END`,
      path: p,
    };
  }

  private rank(f: Field, op: '=' | '>' | '<', r: number): string {
    if (typeof f.rank === 'number')
      return (op === '=' ? f.rank === r : op === '>' ? f.rank > r : f.rank < r) ? '1' : '0';
    return `${f.rank} ${op} ${r}`;
  }

  /** The field equals a scalar (null: missing or null). */
  private equals(f: Field, v: Scalar): string {
    if (v === null)
      return f.path === undefined
        ? '0'
        : `(${this.rank(f, '=', 0)} AND coalesce(json_type(data, ${f.path}), 'null') = 'null')`;
    const r = rankOf(v);
    if (r < 3) return `(${this.rank(f, '=', r)})`;
    return `(${this.rank(f, '=', r)} AND ${f.value} = ${this.bind(v)})`;
  }

  /** One condition as SQL. */
  condition(c: ParsedCondition): string {
    const f = this.field(c.path);
    const v = c.value;
    switch (c.op) {
      case 'eq':
        return this.equals(f, v as Scalar);
      case 'ne':
        return `(NOT ${this.equals(f, v as Scalar)})`;
      case 'in': {
        const list = v as Scalar[];
        const parts = [...new Set(list.filter((x) => typeof x === 'boolean'))].map((b) =>
          this.equals(f, b),
        );
        for (const [type, r] of [
          ['number', 3],
          ['string', 4],
        ] as const) {
          const some = list.filter((x) => typeof x === type);
          if (some.length > 0)
            parts.push(
              `(${this.rank(f, '=', r)} AND ${f.value} IN (SELECT value FROM json_each(${this.bind(JSON.stringify(some))})))`,
            );
        }
        return `(${parts.join(' OR ')})`;
      }
      case 'prefix': {
        const end = prefixEnd(v as string);
        const upper = end === undefined ? '' : ` AND ${f.value} < ${this.bind(end)}`;
        return `(${this.rank(f, '=', 4)} AND ${f.value} >= ${this.bind(v)}${upper})`;
      }
    }
    const op = { lt: '<', lte: '<=', gt: '>', gte: '>=' }[c.op];
    return `(${this.rank(f, '=', rankOf(v))} AND ${f.value} ${op} ${this.bind(v)})`;
  }

  /** The records after the one whose sort values are `after`, in the sort's order. */
  private after(sort: SortKey[], after: Scalar[]): string {
    const fields = sort.map((k) => this.field(k.path));
    const ors: string[] = [];
    for (let i = 0; i < sort.length; i++) {
      const ands = fields.slice(0, i).map((f, j) => this.sameAs(f, after[j]!));
      ands.push(this.beyond(fields[i]!, after[i]!, sort[i]!.desc));
      ors.push(`(${ands.join(' AND ')})`);
    }
    return `(${ors.join(' OR ')})`;
  }

  private sameAs(f: Field, v: Scalar): string {
    const r = rankOf(v);
    return r < 3
      ? this.rank(f, '=', r)
      : `(${this.rank(f, '=', r)} AND ${f.value} = ${this.bind(v)})`;
  }

  private beyond(f: Field, v: Scalar, desc: boolean): string {
    const r = rankOf(v);
    const op = desc ? '<' : '>';
    if (r < 3) return this.rank(f, op, r);
    return `(${this.rank(f, op, r)} OR (${this.rank(f, '=', r)} AND ${f.value} ${op} ${this.bind(v)}))`;
  }

  /** The WHERE clause of conditions (and the cursor's position). */
  where(conditions: ParsedCondition[], sort?: SortKey[], after?: Scalar[]): string {
    const parts = conditions.map((c) => this.condition(c));
    if (sort && after) parts.push(this.after(sort, after));
    return parts.length === 0 ? '1' : parts.join(' AND ');
  }

  /** The ORDER BY list of a sort. */
  orderBy(sort: SortKey[]): string {
    return sort
      .map((k) => {
        const f = this.field(k.path);
        const dir = k.desc ? 'DESC' : 'ASC';
        return typeof f.rank === 'number'
          ? `${f.sortValue} ${dir}`
          : `${f.rank} ${dir}, ${f.sortValue} ${dir}`;
      })
      .join(', ');
  }

  /** A whole query's SELECT on `table` (one more record than the page, to tell if there is a next). */
  select(table: string, q: ParsedQuery): string {
    const where = this.where(q.conditions, q.sort, q.after);
    const order = this.orderBy(q.sort);
    return `SELECT id, data, version, created, updated FROM ${table} WHERE ${where} ORDER BY ${order} LIMIT ${this.bind(q.limit + 1)}`;
  }
}
