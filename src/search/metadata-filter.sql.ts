import { type RawBuilder, sql } from 'kysely';
import { type JsonValue, METADATA_OPERATORS, type MetadataCondition, type MetadataFilter, isGiven } from './metadata-filter.js';

// Compiles a validated MetadataFilter (metadata-filter.ts, which explains the semantics) to SQL.

/**
 * Compiles a validated filter to a boolean SQL expression for `.where(...)`; `column` is a
 * trusted column reference (default `metadata`).
 */
export function compileMetadataFilter(filter: MetadataFilter, options: { column?: string } = {}): RawBuilder<boolean> {
  return compile(filter, sql.ref(options.column ?? 'metadata'));
}

const ORDERING = { gt: sql.raw('>'), gte: sql.raw('>='), lt: sql.raw('<'), lte: sql.raw('<=') } as const;

function compile(filter: MetadataFilter, column: RawBuilder<unknown>): RawBuilder<boolean> {
  if (filter.and !== undefined) return combine(filter.and.map((child) => compile(child, column)), 'and');
  if (filter.or !== undefined) return combine(filter.or.map((child) => compile(child, column)), 'or');
  if (filter.not !== undefined) return sql<boolean>`(not ${compile(filter.not, column)})`;
  const condition = filter as MetadataCondition;
  const { path } = condition;
  const operator = METADATA_OPERATORS.find((key) => isGiven(condition as Record<string, unknown>, key));
  if (path === undefined || operator === undefined) throw new Error('compileMetadataFilter: a node without an operator');
  const operand = (condition as Record<string, unknown>)[operator];
  switch (operator) {
    case 'eq':
      return equals(column, path, [operand as JsonValue]);
    case 'ne':
      return sql<boolean>`(not ${equals(column, path, [operand as JsonValue])})`;
    case 'in':
      return equals(column, path, operand as readonly JsonValue[]);
    case 'nin':
      return sql<boolean>`(not ${equals(column, path, operand as readonly JsonValue[])})`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const value = valueAt(column, path);
      const type = typeof operand; // 'string' | 'number' | 'boolean': jsonb_typeof's names
      const compared = sql`${value} ${ORDERING[operator]} ${JSON.stringify(operand)}::jsonb`;
      // coalesce: a missing key gives NULL, and `not` must see false to stay a complement.
      return sql<boolean>`coalesce(jsonb_typeof(${value}) = ${type}::text and ${compared}, false)`;
    }
    case 'exists':
      return sql<boolean>`(${valueAt(column, path)} ${operand ? sql`is not null` : sql`is null`})`;
    case 'contains': {
      const elements = Array.isArray(operand) ? operand : [operand];
      return sql<boolean>`(${column} @> ${JSON.stringify(nest(path, elements))}::jsonb)`;
    }
    case 'prefix': {
      const value = valueAt(column, path);
      const text = sql`${value} #>> '{}'`; // the JSON string's text, unquoted
      return sql<boolean>`coalesce(jsonb_typeof(${value}) = 'string' and starts_with(${text}, ${operand}::text), false)`;
    }
  }
}

function combine(parts: RawBuilder<boolean>[], operator: 'and' | 'or'): RawBuilder<boolean> {
  if (parts.length === 0) return operator === 'and' ? sql<boolean>`true` : sql<boolean>`false`;
  return sql<boolean>`(${sql.join(parts, operator === 'and' ? sql` and ` : sql` or `)})`;
}

/**
 * The value at the path equals one of the values. Containment (`@>`, `@> any(...)`) is what the
 * GIN jsonb_path_ops index serves, a Bitmap Index Scan per value; it is exact for scalars and a
 * superset for objects and arrays, which `=` then rechecks. Never NULL: containment of a
 * non-null column is true or false, and `=` runs only where containment found the key.
 */
function equals(column: RawBuilder<unknown>, path: readonly string[], values: readonly JsonValue[]) {
  const containments = values.map((value) => JSON.stringify(nest(path, value)));
  const contained =
    containments.length === 1
      ? sql<boolean>`${column} @> ${containments[0]}::jsonb`
      : sql<boolean>`${column} @> any(${containments}::jsonb[])`;
  if (values.every((value) => value === null || typeof value !== 'object')) return sql<boolean>`(${contained})`;
  const exact =
    values.length === 1
      ? sql<boolean>`${valueAt(column, path)} = ${JSON.stringify(values[0])}::jsonb`
      : sql<boolean>`${valueAt(column, path)} = any(${values.map((value) => JSON.stringify(value))}::jsonb[])`;
  return sql<boolean>`(${contained} and ${exact})`;
}

/** `(metadata -> $1::text -> $2::text ...)`: object keys only; NULL where a key or object is missing. */
function valueAt(column: RawBuilder<unknown>, path: readonly string[]): RawBuilder<unknown> {
  const steps = path.map((key) => sql`-> ${key}::text`);
  return sql`(${column} ${sql.join(steps, sql` `)})`;
}

/** {"a": {"b": value}} for the path ["a", "b"]; keys become own properties, "__proto__" included. */
function nest(path: readonly string[], value: unknown): unknown {
  return path.reduceRight<unknown>(
    (inner, key) => Object.defineProperty({}, key, { value: inner, enumerable: true }),
    value,
  );
}
