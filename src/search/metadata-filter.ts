import { badUserInput } from '../domain-errors.js';

/*
 * A typed filter over documents' `metadata` (jsonb), validated here and compiled to parameterized
 * SQL (metadata-filter.sql.ts): every key and every value travels as a bound parameter, never as SQL text.
 *
 * Semantics, chosen so that a filter never lies:
 * - A path names object keys only. Each step is `-> $key::text`, which yields NULL on an array or
 *   a scalar, so ["tags", "0"] never reaches into an array (`#>` would), and the JSON built for
 *   containment (`{"tags": {"0": ...}}`) agrees with it.
 * - eq is exact JSON equality at the path (numbers compare numerically: 1 = 1.0). Its SQL is
 *   `metadata @> {path: value}`, which the GIN jsonb_path_ops index serves; for a scalar that is
 *   already exact (jsonb containment lets an array contain a scalar only at the top level, and the
 *   top level is always an object), and for an object or array, whose containment is a subset
 *   test, an exact `=` rechecks the candidates. So eq "x" does not match ["x"]: use contains.
 *   eq null matches a JSON null, not a missing key (use exists: false for that).
 * - Every condition is two-valued (true or false, never SQL NULL), so `not` is the exact
 *   complement of what it wraps: ne = not eq and nin = not in, and both match documents that
 *   lack the key. Combine with exists: true to require it.
 * - gt/gte/lt/lte match only when the stored value has the operand's JSON type (number, string,
 *   boolean), so 10 > "9" never matches; strings compare in the database's default collation.
 * - exists: true means the key is present, even with a JSON null value.
 * - contains: the value at the path is an array holding every given element (jsonb containment,
 *   so an object element matches an element holding at least its keys). GIN-served.
 * - prefix: the value at the path is a string starting with the prefix (case-sensitive).
 */

export type JsonScalar = string | number | boolean | null;
export type JsonValue = JsonScalar | readonly JsonValue[] | { readonly [key: string]: JsonValue };
/** Operands of gt/gte/lt/lte: JSON scalars that have an order. */
export type OrderedScalar = string | number | boolean;

export const METADATA_FILTER_LIMITS = {
  pathSegments: 16, // keys in one path
  keyLength: 256, // characters in one key
  depth: 8, // levels of and/or/not nesting, the root included
  conditions: 64, // conditions (nodes with a path) in one filter
  listLength: 1000, // values in one in/nin/contains list
  valueLength: 10_000, // characters of one operand as JSON text (prefix: as text)
  valueDepth: 32, // nesting of arrays and objects within one operand
} as const;

export const METADATA_OPERATORS = ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'exists', 'contains', 'prefix'] as const;
export type MetadataOperator = (typeof METADATA_OPERATORS)[number];
const COMBINATORS = ['and', 'or', 'not'] as const;
const FIELDS: ReadonlySet<string> = new Set(['path', ...COMBINATORS, ...METADATA_OPERATORS]);

type Operands = Record<'gt' | 'gte' | 'lt' | 'lte', OrderedScalar> & {
  eq: JsonValue;
  ne: JsonValue;
  in: readonly JsonValue[];
  nin: readonly JsonValue[];
  exists: boolean;
  contains: JsonValue; // elements, or one element
  prefix: string;
};
type Combinators = { and: readonly MetadataFilter[]; or: readonly MetadataFilter[]; not: MetadataFilter };
type Absent<K extends PropertyKey> = { readonly [P in K]?: never };

/** A condition on the value at one path: exactly one operator. */
export type MetadataCondition = {
  [K in MetadataOperator]: { readonly path: readonly string[] } & { readonly [P in K]: Operands[K] } & Absent<
    Exclude<MetadataOperator, K> | keyof Combinators
  >;
}[MetadataOperator];

/** and (all of), or (any of) or not: exactly one per node, without a path. */
export type MetadataCombinator = {
  [K in keyof Combinators]: { readonly [P in K]: Combinators[K] } & Absent<
    Exclude<keyof Combinators, K> | MetadataOperator | 'path'
  >;
}[keyof Combinators];

/** A metadata filter: a tree of and/or/not over conditions. */
export type MetadataFilter = MetadataCombinator | MetadataCondition;

/**
 * Checks a filter from a client (any shape) against the limits and returns it as a fresh,
 * well-typed tree; errors name the offending input path, e.g. `where.and[1].path`.
 * An explicit null counts as absent, except for eq and ne, where it is the JSON null to compare with.
 */
export function validateMetadataFilter(filter: unknown, field = 'where'): MetadataFilter {
  return validateNode(filter, field, 1, { conditions: 0 });
}

function validateNode(input: unknown, field: string, level: number, count: { conditions: number }): MetadataFilter {
  const limits = METADATA_FILTER_LIMITS;
  if (!isPlainObject(input)) throw badUserInput(field, 'must be a filter object');
  if (level > limits.depth) throw badUserInput(field, `filters nest at most ${limits.depth} levels deep`);
  const node = input as Record<string, unknown>;
  const unknown = Object.keys(node).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) throw badUserInput(field, `unknown filter field ${JSON.stringify(unknown.slice(0, 64))}`);
  const given = [...COMBINATORS, ...METADATA_OPERATORS].filter((key) => isGiven(node, key));
  const hasPath = isGiven(node, 'path');
  if (given.length !== 1) {
    const got = given.length === 0 ? 'none' : given.join(', ');
    const expected = hasPath
      ? `one operator with path (${METADATA_OPERATORS.join(', ')})`
      : 'exactly one of and, or, not, or a path with one operator';
    throw badUserInput(field, `give ${expected}; got ${got}`);
  }
  const key = given[0] as MetadataOperator | (typeof COMBINATORS)[number];
  const value = node[key];
  if (key === 'and' || key === 'or' || key === 'not') {
    if (hasPath) throw badUserInput(`${field}.path`, `a path goes with an operator, not with ${key}`);
    if (key === 'not') return { not: validateNode(value, `${field}.not`, level + 1, count) };
    if (!Array.isArray(value) || value.length === 0) throw badUserInput(`${field}.${key}`, 'must be a list of at least 1 filter');
    const children = value.map((child, index) => validateNode(child, `${field}.${key}[${index}]`, level + 1, count));
    return key === 'and' ? { and: children } : { or: children };
  }
  count.conditions += 1;
  if (count.conditions > limits.conditions) {
    throw badUserInput(field, `a filter may hold at most ${limits.conditions} conditions`);
  }
  if (!hasPath) throw badUserInput(`${field}.path`, `is required with ${key}`);
  const path = validatePath(node.path, `${field}.path`);
  const condition: Record<string, unknown> = { path, [key]: validateOperand(key, value, `${field}.${key}`) };
  return condition as MetadataCondition;
}

function validatePath(value: unknown, field: string): string[] {
  const limits = METADATA_FILTER_LIMITS;
  if (!Array.isArray(value) || value.length === 0) throw badUserInput(field, 'must be a non-empty list of keys');
  if (value.length > limits.pathSegments) {
    throw badUserInput(field, `must have at most ${limits.pathSegments} keys, got ${value.length}`);
  }
  return value.map((segment, index) => {
    if (typeof segment !== 'string' || segment.length === 0 || segment.length > limits.keyLength) {
      throw badUserInput(`${field}[${index}]`, `must be a key of 1-${limits.keyLength} characters`);
    }
    checkText(segment, `${field}[${index}]`);
    return segment;
  });
}

function validateOperand(operator: MetadataOperator, value: unknown, field: string): Operands[MetadataOperator] {
  const limits = METADATA_FILTER_LIMITS;
  switch (operator) {
    case 'eq':
    case 'ne':
      return validateJson(value, field);
    case 'in':
    case 'nin':
      if (!Array.isArray(value) || value.length === 0 || value.length > limits.listLength) {
        throw badUserInput(field, `must be a list of 1-${limits.listLength} values`);
      }
      return value.map((item, index) => validateJson(item, `${field}[${index}]`));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (typeof value === 'string') checkText(value, field);
      else if (typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
        throw badUserInput(field, 'must be a string, number or boolean (ordering compares scalars of one JSON type)');
      }
      return validateJson(value, field) as OrderedScalar;
    case 'exists':
      if (typeof value !== 'boolean') throw badUserInput(field, 'must be true or false');
      return value;
    case 'contains': {
      const elements = Array.isArray(value) ? value : [value];
      if (elements.length > limits.listLength) {
        throw badUserInput(field, `must have at most ${limits.listLength} elements`);
      }
      return validateJson(elements, field);
    }
    case 'prefix':
      if (typeof value !== 'string' || value.length === 0 || value.length > limits.valueLength) {
        throw badUserInput(field, `must be a string of 1-${limits.valueLength} characters`);
      }
      checkText(value, field);
      return value;
  }
}

/** A copy of a JSON value, or an error: the database must never be the one to reject it. */
function validateJson(value: unknown, field: string): JsonValue {
  const copy = copyJson(value, field, 0);
  if (JSON.stringify(copy).length > METADATA_FILTER_LIMITS.valueLength) {
    throw badUserInput(field, `must be at most ${METADATA_FILTER_LIMITS.valueLength} characters as JSON`);
  }
  return copy;
}

function copyJson(value: unknown, field: string, depth: number): JsonValue {
  if (depth > METADATA_FILTER_LIMITS.valueDepth) {
    throw badUserInput(field, `must nest at most ${METADATA_FILTER_LIMITS.valueDepth} levels of arrays and objects`);
  }
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw badUserInput(field, 'must be a finite number');
    return value;
  }
  if (typeof value === 'string') return checkText(value, field);
  if (Array.isArray(value)) return value.map((item) => copyJson(item, field, depth + 1));
  if (isPlainObject(value)) {
    const copy: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: a "__proto__" key stays a key and never sets the prototype.
      const entry = { value: copyJson(item, field, depth + 1), enumerable: true, writable: true, configurable: true };
      Object.defineProperty(copy, checkText(key, field), entry);
    }
    return copy;
  }
  throw badUserInput(field, 'must be a JSON value');
}

// PostgreSQL rejects NUL in text and jsonb, and a lone surrogate would reach it as U+FFFD:
// a different key or value than the client sent.
const UNSENDABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkText(text: string, field: string): string {
  if (UNSENDABLE.test(text)) throw badUserInput(field, 'must not contain NUL characters or unpaired surrogates');
  return text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether a node sets this field (null counts as not set, except as the operand of eq/ne). */
export function isGiven(node: Record<string, unknown>, key: string): boolean {
  if (!Object.hasOwn(node, key) || node[key] === undefined) return false;
  return node[key] !== null || key === 'eq' || key === 'ne';
}
