// Registers the MetadataFilter input on the builder before the app builds its schema, so the
// GraphQL shape can be checked here before any field uses it.
import { MetadataFilterInput } from '../../src/graphql/types/metadata-filter.js';
import { isInputObjectType, parseValue, valueFromAST } from 'graphql';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain-errors.js';
import { schema } from '../../src/graphql/schema.js';
import {
  METADATA_FILTER_LIMITS,
  type MetadataFilter,
  validateMetadataFilter,
} from '../../src/search/metadata-filter.js';
import { compileMetadataFilter } from '../../src/search/metadata-filter.sql.js';
import { findTenantBySlug } from '../../src/tenants/tenant.service.js';
import type { Tenant } from '../../src/tenants/tenant.js';
import { type PlanNode, planNodes, withoutShardId } from '../helpers/query-plan.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';
import { onCitus } from '../helpers/test-database.js';

const DROP = "'); drop table documents; --";
const LONG_KEY = 'k'.repeat(METADATA_FILTER_LIMITS.keyLength);
// 7001 characters, 8003 as JSON (each backslash escaped): long, yet within the 10,000 limit.
const LONG_VALUE = `v${"'\\".repeat(1000)}${'v'.repeat(5000)}`;

// Built with JSON.parse so "__proto__" is an own key, as it is when a client sends it.
const HOSTILE = JSON.parse(
  JSON.stringify({
    "it's": "o'clock",
    'q"uote': 'back\\slash',
    [DROP]: DROP,
    $1: '$1',
    '{}': '[]',
    '{a,b}': 'array literal',
    'ünï😀': '日本語 😀',
    '\\': '\\"',
    nested: { "'": { '"': 'x' } },
  }).replace(/}$/, ',"__proto__":{"polluted":true}}'),
);

const DOCS: Record<string, Record<string, unknown>> = {
  en1: { lang: 'en', n: 1, tags: ['a', 'b'], author: { name: 'Ann Lee', age: 30 }, active: true },
  en2: { lang: 'en', n: 2, tags: ['b'], author: { name: 'Bob', age: 41 }, active: false },
  de3: { lang: 'de', n: 3, tags: [], author: { name: 'Annette', age: 25 } },
  fr10: { lang: 'fr', n: 10, tags: ['a', 'c'], active: true },
  str9: { lang: 'en', n: '9' },
  langnull: { lang: null },
  empty: {},
  langarr: { lang: ['en', 'de'] },
  authorstr: { author: 'Ann' },
  authordeep: { author: { name: { first: 'Ann' } } },
  tagscalar: { tags: 'a' },
  tagobjs: { tags: [{ k: 1, v: 2 }, 'z'] },
  neg: { n: -5, active: 'true' },
  zero: { n: 0, score: 1.5 },
  dotted: { 'a.b': 1 },
  nested: { a: { b: 2 } },
  lower: { author: { name: 'ann lee' } },
  cfg2: { cfg: { x: 1, y: 2 } },
  cfg1: { cfg: { x: 1 } },
  list12: { list: [1, 2] },
  list21: { list: [2, 1] },
  list1: { list: [1] },
  deletednull: { deleted_at: null, lang: 'en' },
  hostile: HOSTILE,
  big: { n: 100, tags: ['x'] },
  age30s: { author: { name: 'Ann', age: '30' } },
  deep: { p: { q: { r: { s: 'deep' } } } },
  upper: { tags: ['a', 'b', 'c'], lang: 'EN' },
  long: { [LONG_KEY]: LONG_VALUE },
  bools: { flags: { on: true, off: false } },
};
const ALL = Object.keys(DOCS);
const except = (...ids: string[]) => ALL.filter((id) => !ids.includes(id));

const UPSERT = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }';

let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  t = await startTestApp();
  const slug = await t.createTenant('filters');
  tenant = (await findTenantBySlug(t.app.deps, slug))!;
  const documents = Object.entries(DOCS).map(([externalId, metadata]) => ({ externalId, content: `document ${externalId}`, metadata }));
  const result = await t.as(slug)(UPSERT, { d: documents });
  expect(result.errors).toBeUndefined();
  // A neighbour whose rows share the pool (and maybe the bucket) must never leak into results.
  const other = await t.as(await t.createTenant('filters-other'))(UPSERT, {
    d: [{ externalId: 'other-en', content: 'other', metadata: { lang: 'en', n: 2 } }],
  });
  expect(other.errors).toBeUndefined();
});
afterAll(async () => {
  await t?.close();
});

/** External ids of the tenant's documents matching the filter, validated and compiled as a service would. */
async function ids(filter: unknown): Promise<string[]> {
  const rows = await t.db
    .selectFrom('documents')
    .select('external_id')
    .where('tenant_id', '=', tenant.id)
    .where(compileMetadataFilter(validateMetadataFilter(filter)))
    .execute();
  return rows.map((row) => row.external_id).sort();
}
const sorted = (list: string[]) => [...list].sort();

describe('metadata filter: operators', () => {
  const cases: [string, unknown, string[]][] = [
    ['eq string', { path: ['lang'], eq: 'en' }, ['en1', 'en2', 'str9', 'deletednull']],
    ['eq number', { path: ['n'], eq: 2 }, ['en2']],
    ['eq number never matches its string', { path: ['n'], eq: 9 }, []],
    ['eq boolean', { path: ['active'], eq: true }, ['en1', 'fr10']],
    ['eq the string "true"', { path: ['active'], eq: 'true' }, ['neg']],
    ['eq null: a JSON null, not a missing key', { path: ['lang'], eq: null }, ['langnull']],
    ['eq nested path', { path: ['author', 'name'], eq: 'Ann' }, ['age30s']],
    ['eq deep path', { path: ['p', 'q', 'r', 's'], eq: 'deep' }, ['deep']],
    ['eq nested boolean false', { path: ['flags', 'off'], eq: false }, ['bools']],
    ['path keys are keys, not dotted paths', { path: ['a.b'], eq: 1 }, ['dotted']],
    ['dotted path is two keys', { path: ['a', 'b'], eq: 2 }, ['nested']],
    ['eq scalar does not match an array holding it', { path: ['tags'], eq: 'a' }, ['tagscalar']],
    ['eq object is exact, not containment', { path: ['cfg'], eq: { x: 1 } }, ['cfg1']],
    ['eq object ignores key order', { path: ['cfg'], eq: { y: 2, x: 1 } }, ['cfg2']],
    ['eq object with a subset of keys', { path: ['author'], eq: { name: 'Ann' } }, []],
    ['eq whole object', { path: ['author'], eq: { name: 'Ann', age: '30' } }, ['age30s']],
    ['eq array is exact and ordered', { path: ['list'], eq: [1, 2] }, ['list12']],
    ['eq shorter array', { path: ['list'], eq: [1] }, ['list1']],
    ['eq empty array', { path: ['tags'], eq: [] }, ['de3']],
    ['ne matches missing keys', { path: ['lang'], ne: 'en' }, except('en1', 'en2', 'str9', 'deletednull')],
    ['ne object', { path: ['cfg'], ne: { x: 1 } }, except('cfg1')],
    ['in scalars (null included)', { path: ['lang'], in: ['de', 'fr', null] }, ['de3', 'fr10', 'langnull']],
    ['in mixed JSON types', { path: ['n'], in: [1, 2, '9'] }, ['en1', 'en2', 'str9']],
    ['in objects: exact', { path: ['cfg'], in: [{ x: 1 }, 5] }, ['cfg1']],
    ['in several objects', { path: ['cfg'], in: [{ x: 1 }, { x: 1, y: 2 }] }, ['cfg1', 'cfg2']],
    ['in arrays', { path: ['list'], in: [[2, 1], [1]] }, ['list21', 'list1']],
    ['nin matches missing keys', { path: ['lang'], nin: ['en', 'de'] }, except('en1', 'en2', 'str9', 'deletednull', 'de3')],
    ['gt number: strings never compared', { path: ['n'], gt: 2 }, ['de3', 'fr10', 'big']],
    ['gte number', { path: ['n'], gte: 2 }, ['en2', 'de3', 'fr10', 'big']],
    ['lt number', { path: ['n'], lt: 2 }, ['en1', 'neg', 'zero']],
    ['lte number', { path: ['n'], lte: 1 }, ['en1', 'neg', 'zero']],
    ['gt fraction', { path: ['score'], gte: 1.5 }, ['zero']],
    ['gt string: numbers never compared', { path: ['n'], gt: '10' }, ['str9']],
    ['gt nested number', { path: ['author', 'age'], gt: 29 }, ['en1', 'en2']],
    ['gt string collation-safe', { path: ['lang'], gt: 'f' }, ['fr10']],
    ['lt boolean', { path: ['active'], lt: true }, ['en2']],
    ['exists', { path: ['lang'], exists: true }, ['en1', 'en2', 'de3', 'fr10', 'str9', 'langnull', 'langarr', 'deletednull', 'upper']],
    ['exists with a null value', { path: ['deleted_at'], exists: true }, ['deletednull']],
    ['exists nested', { path: ['author', 'name'], exists: true }, ['en1', 'en2', 'de3', 'authordeep', 'lower', 'age30s']],
    ['exists false', { path: ['author', 'name'], exists: false }, except('en1', 'en2', 'de3', 'authordeep', 'lower', 'age30s')],
    ['array positions are not keys (exists)', { path: ['list', '0'], exists: true }, []],
    ['array positions are not keys (gt)', { path: ['list', '0'], gt: 0 }, []],
    ['contains one element', { path: ['tags'], contains: 'a' }, ['en1', 'fr10', 'upper']],
    ['contains all elements', { path: ['tags'], contains: ['a', 'b'] }, ['en1', 'upper']],
    ['contains nothing: is an array', { path: ['tags'], contains: [] }, ['en1', 'en2', 'de3', 'fr10', 'tagobjs', 'big', 'upper']],
    ['contains an object element by its members', { path: ['tags'], contains: [{ k: 1 }] }, ['tagobjs']],
    ['contains on an array-valued key', { path: ['lang'], contains: 'en' }, ['langarr']],
    ['prefix is case-sensitive, strings only', { path: ['author', 'name'], prefix: 'Ann' }, ['en1', 'de3', 'age30s']],
    ['prefix', { path: ['lang'], prefix: 'e' }, ['en1', 'en2', 'str9', 'deletednull']],
    ['prefix never matches numbers', { path: ['n'], prefix: '1' }, []],
    ['prefix of a string-typed number', { path: ['n'], prefix: '9' }, ['str9']],
  ];
  it.each(cases)('%s', async (_name, filter, expected) => {
    expect(await ids(filter)).toEqual(sorted(expected));
  });
});

describe('metadata filter: and / or / not', () => {
  const cases: [string, unknown, string[]][] = [
    ['and', { and: [{ path: ['lang'], eq: 'en' }, { path: ['n'], gt: 1 }] }, ['en2']],
    ['or', { or: [{ path: ['lang'], eq: 'fr' }, { path: ['tags'], contains: 'b' }] }, ['fr10', 'en1', 'en2', 'upper']],
    ['not is the exact complement, missing keys included', { not: { path: ['n'], gt: 2 } }, except('de3', 'fr10', 'big')],
    [
      'not of an or',
      { not: { or: [{ path: ['lang'], exists: true }, { path: ['n'], exists: true }] } },
      except('en1', 'en2', 'de3', 'fr10', 'str9', 'langnull', 'langarr', 'deletednull', 'upper', 'neg', 'zero', 'big'),
    ],
    [
      'ne with exists: true leaves out missing keys',
      { and: [{ path: ['lang'], exists: true }, { path: ['lang'], ne: 'en' }] },
      ['de3', 'fr10', 'langnull', 'langarr', 'upper'],
    ],
    [
      'a tree',
      {
        and: [
          { or: [{ path: ['author', 'name'], prefix: 'Ann' }, { path: ['active'], eq: false }] },
          { not: { path: ['author', 'age'], lt: 30 } },
        ],
      },
      ['en1', 'age30s', 'en2'],
    ],
    ['double negation', { not: { not: { path: ['lang'], eq: 'de' } } }, ['de3']],
    [
      'eight levels deep',
      { not: { not: { not: { not: { not: { not: { not: { path: ['lang'], eq: 'de' } } } } } } } },
      except('de3'),
    ],
  ];
  it.each(cases)('%s', async (_name, filter, expected) => {
    expect(await ids(filter)).toEqual(sorted(expected));
  });
});

describe('metadata filter: hostile keys and values are data', () => {
  const cases: [string, unknown, string[]][] = [
    ['quote in key and value', { path: ["it's"], eq: "o'clock" }, ['hostile']],
    ['double quote and backslash', { path: ['q"uote'], eq: 'back\\slash' }, ['hostile']],
    ['backslash is not an escape', { path: ['q"uote'], eq: 'back\\\\slash' }, []],
    ['SQL in key and value', { path: [DROP], eq: DROP }, ['hostile']],
    ['SQL in key (exists)', { path: [DROP], exists: true }, ['hostile']],
    ['SQL in key (ne)', { path: [DROP], ne: DROP }, except('hostile')],
    ['SQL in values', { path: ['lang'], in: [DROP, "' or '1'='1", '\\', '{}', '$1', "en' --"] }, []],
    ['SQL in prefix', { path: ['lang'], prefix: "' or 1=1 --" }, []],
    ['SQL in ordering (gte itself)', { path: [DROP], gte: DROP }, ['hostile']],
    ['SQL in ordering (gt itself)', { path: [DROP], gt: DROP }, []],
    ['placeholder-like key and value', { path: ['$1'], eq: '$1' }, ['hostile']],
    ['braces', { path: ['{}'], eq: '[]' }, ['hostile']],
    ['array literal key is one key', { path: ['{a,b}'], eq: 'array literal' }, ['hostile']],
    ['unicode', { path: ['ünï😀'], prefix: '日本' }, ['hostile']],
    ['__proto__ key', { path: ['__proto__', 'polluted'], eq: true }, ['hostile']],
    ['__proto__ key (contains-style containment)', { path: ['__proto__'], eq: { polluted: true } }, ['hostile']],
    ['backslash key', { path: ['\\'], eq: '\\"' }, ['hostile']],
    ['quotes along a path', { path: ['nested', "'", '"'], eq: 'x' }, ['hostile']],
    ['JSON in a string value stays a string', { path: ['cfg'], eq: '{"x": 1}' }, []],
    ['longest key, long value', { path: [LONG_KEY], eq: LONG_VALUE }, ['long']],
    ['long prefix', { path: [LONG_KEY], prefix: LONG_VALUE.slice(0, 7000) }, ['long']],
    ['long prefix past the value', { path: [LONG_KEY], prefix: `${LONG_VALUE}v` }, []],
  ];
  it.each(cases)('%s', async (_name, filter, expected) => {
    expect(await ids(filter)).toEqual(sorted(expected));
  });

  it('sends keys and values only as parameters', () => {
    const filter = validateMetadataFilter({
      or: [
        { path: [DROP, "it's"], eq: DROP },
        { path: ['$1'], in: ['$1', { [DROP]: 1 }] },
        { path: ['q"uote'], gt: DROP },
        { path: ['q"uote'], prefix: DROP },
        { path: [DROP], contains: [DROP] },
        { path: [DROP], exists: false },
      ],
    });
    const compiled = t.db.selectFrom('documents').select('external_id').where(compileMetadataFilter(filter)).compile();
    for (const text of ['drop table', "it's", 'q"uote', "'$1'"]) expect(compiled.sql).not.toContain(text);
    expect(compiled.parameters).toContain(DROP);
    expect(compiled.parameters).toContain(JSON.stringify({ [DROP]: { "it's": DROP } }));
  });

  it('leaves the documents table and every row in place', async () => {
    const { rows } = await sql<{ table: string | null }>`select to_regclass('documents')::text as table`.execute(t.db);
    expect(rows[0]!.table).toBe('documents');
    expect(await ids({ path: ['nope'], exists: false })).toEqual(sorted(ALL));
  });
});

describe('metadata filter: index use', () => {
  // The tenant's shared-pool bucket: a partition of documents_shared, with its own copy of
  // documents_metadata_idx (GIN, jsonb_path_ops). On Citus the shared pool is one partition, the
  // plan shows one of its shards' plans on a worker.
  async function indexScans(filter: MetadataFilter) {
    return t.db.transaction().execute(async (trx) => {
      await sql`set local citus.propagate_set_commands = 'local'`.execute(trx);
      await sql`set local enable_seqscan = off`.execute(trx);
      const { rows } = await sql<{ table: string }>`
        select tableoid::regclass::text as table from documents where tenant_id = ${tenant.id} limit 1`.execute(trx);
      const table = withoutShardId(rows[0]!.table)!;
      expect(table).toMatch(onCitus ? /^documents_shared$/ : /^documents_shared_b\d+$/);
      const plan = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>`
        explain (format json) select external_id from ${sql.table(table)} where ${compileMetadataFilter(filter)}`.execute(trx);
      const scans = planNodes(plan.rows[0]!["QUERY PLAN"][0].Plan).filter((node) => node['Node Type'] === 'Bitmap Index Scan');
      return { table, indexes: scans.map((node) => withoutShardId(node['Index Name'])) };
    });
  }

  it('serves eq from the GIN index', async () => {
    const { table, indexes } = await indexScans({ path: ['author', 'name'], eq: 'Ann' });
    expect(indexes).toEqual([`${table}_metadata_idx`]);
  });

  it('serves in and contains from the GIN index', async () => {
    const inScan = await indexScans({ path: ['lang'], in: ['de', 'fr'] });
    expect(inScan.indexes).toEqual([`${inScan.table}_metadata_idx`]);
    const containsScan = await indexScans({ path: ['tags'], contains: ['a', 'b'] });
    expect(containsScan.indexes).toEqual([`${containsScan.table}_metadata_idx`]);
  });
});

describe('metadata filter: validation', () => {
  function rejects(input: unknown, field: string, message: string) {
    let error: unknown;
    try {
      validateMetadataFilter(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BAD_USER_INPUT');
    expect((error as AppError).field).toBe(field);
    expect((error as AppError).message).toContain(`${field}: `);
    expect((error as AppError).message).toContain(message);
  }
  const cond = (i: number) => ({ path: ['n'], eq: i });
  const nest = (levels: number): unknown => (levels === 1 ? cond(0) : { not: nest(levels - 1) });

  const cases: [string, unknown, string, string][] = [
    ['not an object', 'lang = en', 'where', 'filter object'],
    ['no operator', {}, 'where', 'exactly one of and, or, not'],
    ['a path without operator', { path: ['a'] }, 'where', 'one operator with path'],
    ['two operators', { path: ['a'], eq: 1, gt: 0 }, 'where', 'got eq, gt'],
    ['two combinators', { and: [cond(1)], or: [cond(2)] }, 'where', 'got and, or'],
    ['a combinator with a path', { and: [cond(1)], path: ['a'] }, 'where.path', 'not with and'],
    ['an operator without a path', { or: [cond(1), { eq: 1 }] }, 'where.or[1].path', 'is required with eq'],
    ['an empty path', { and: [cond(1), { path: [], eq: 1 }] }, 'where.and[1].path', 'non-empty list'],
    ['an empty key', { path: ['a', ''], eq: 1 }, 'where.path[1]', '1-256 characters'],
    ['a key that is not a string', { path: ['a', 5], eq: 1 }, 'where.path[1]', '1-256 characters'],
    ['a key too long', { path: ['k'.repeat(257)], eq: 1 }, 'where.path[0]', '1-256 characters'],
    ['a key with NUL', { path: ['a\u0000'], eq: 1 }, 'where.path[0]', 'NUL'],
    ['a key with an unpaired surrogate', { path: ['\uD800'], eq: 1 }, 'where.path[0]', 'unpaired surrogates'],
    ['too many keys', { path: Array.from({ length: 17 }, (_, i) => `k${i}`), eq: 1 }, 'where.path', 'at most 16 keys'],
    ['too deep', nest(9), `where${'.not'.repeat(8)}`, 'at most 8 levels'],
    ['too many conditions', { or: Array.from({ length: 65 }, (_, i) => cond(i)) }, 'where.or[64]', 'at most 64 conditions'],
    ['empty and', { and: [] }, 'where.and', 'at least 1 filter'],
    ['a null child', { and: [null] }, 'where.and[0]', 'filter object'],
    ['an unknown field', { path: ['a'], equals: 1 }, 'where', 'unknown filter field "equals"'],
    ['in empty', { path: ['a'], in: [] }, 'where.in', '1-1000 values'],
    ['in too long', { path: ['a'], in: Array.from({ length: 1001 }, (_, i) => i) }, 'where.in', '1-1000 values'],
    ['nin empty', { not: { path: ['a'], nin: [] } }, 'where.not.nin', '1-1000 values'],
    ['in not a list', { path: ['a'], in: 'x' }, 'where.in', '1-1000 values'],
    ['a bad in element', { path: ['a'], in: [1, Number.NaN] }, 'where.in[1]', 'finite number'],
    ['prefix empty', { path: ['a'], prefix: '' }, 'where.prefix', '1-10000 characters'],
    ['prefix not a string', { path: ['a'], prefix: 5 }, 'where.prefix', '1-10000 characters'],
    ['prefix too long', { path: ['a'], prefix: 'p'.repeat(10_001) }, 'where.prefix', '1-10000 characters'],
    ['gt an object', { path: ['a'], gt: { x: 1 } }, 'where.gt', 'string, number or boolean'],
    ['lte an array', { and: [cond(1), { path: ['a'], lte: [1] }] }, 'where.and[1].lte', 'string, number or boolean'],
    ['gte infinity', { path: ['a'], gte: Number.POSITIVE_INFINITY }, 'where.gte', 'string, number or boolean'],
    ['exists not boolean', { path: ['a'], exists: 'yes' }, 'where.exists', 'true or false'],
    ['eq not JSON', { path: ['a'], eq: new Date(0) }, 'where.eq', 'JSON value'],
    ['eq NaN', { path: ['a'], eq: Number.NaN }, 'where.eq', 'finite number'],
    ['eq with NUL', { path: ['a'], eq: { k: 'x\u0000' } }, 'where.eq', 'NUL'],
    ['eq too large', { path: ['a'], eq: 'x'.repeat(10_000) }, 'where.eq', 'at most 10000 characters as JSON'],
    ['eq nested too deep', { path: ['a'], eq: JSON.parse(`${'['.repeat(34)}${']'.repeat(34)}`) }, 'where.eq', 'at most 32 levels'],
    ['contains too many', { path: ['a'], contains: Array.from({ length: 1001 }, (_, i) => i) }, 'where.contains', 'at most 1000'],
  ];
  it.each(cases)('rejects %s', (_name, input, field, message) => rejects(input, field, message));

  it('names the field it was given', () => {
    expect(() => validateMetadataFilter({}, 'search.where')).toThrow(/^search\.where: /);
  });

  it('accepts the limits themselves', () => {
    expect(() => validateMetadataFilter(nest(8))).not.toThrow();
    expect(() => validateMetadataFilter({ or: Array.from({ length: 64 }, (_, i) => cond(i)) })).not.toThrow();
    const widest = { path: Array.from({ length: 16 }, () => LONG_KEY), in: Array.from({ length: 1000 }, (_, i) => i) };
    expect(() => validateMetadataFilter(widest)).not.toThrow();
  });

  it('treats an explicit null as absent, except as the operand of eq and ne', () => {
    expect(validateMetadataFilter({ path: ['a'], eq: null, gt: null, and: null })).toEqual({ path: ['a'], eq: null });
    expect(validateMetadataFilter({ path: ['a'], ne: null, contains: null })).toEqual({ path: ['a'], ne: null });
    expect(validateMetadataFilter({ path: ['a'], contains: 'x' })).toEqual({ path: ['a'], contains: ['x'] });
  });

  it('returns a copy that later changes to the input cannot reach', () => {
    const input = { and: [{ path: ['a'], eq: { x: [1] } }] };
    const filter = validateMetadataFilter(input);
    input.and[0]!.eq.x.push(2);
    input.and[0]!.path.push('b');
    expect(filter).toEqual({ and: [{ path: ['a'], eq: { x: [1] } }] });
  });
});

describe('MetadataFilter input type', () => {
  it('describes every field and coerces a GraphQL literal into a filter the compiler takes', async () => {
    const type = schema.getType(MetadataFilterInput.name);
    if (!isInputObjectType(type)) throw new Error('MetadataFilter is not an input type');
    expect(type.description).toBeTruthy();
    for (const field of Object.values(type.getFields())) expect(field.description, field.name).toBeTruthy();
    const literal = parseValue(`{ or: [
      { path: ["lang"], eq: null },
      { and: [{ path: ["n"], in: [1, null, "9"] }, { not: { path: ["lang"], exists: false } }] }
    ] }`);
    const value = valueFromAST(literal, type);
    expect(await ids(value)).toEqual(['en1', 'langnull', 'str9']);
  });
});
