import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGUMENT_STRING_LIMIT } from '../../src/graphql/argument-guard.js';
import { schema } from '../../src/graphql/schema.js';
import { ADMIN_TOKEN, type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

// Every string a request can carry, found by walking the schema's arguments (so an argument
// added later is tested without being listed here): NUL, an unpaired surrogate and an over-long
// value each answer BAD_USER_INPUT naming the argument's path, never INTERNAL_SERVER_ERROR.

type Leaf = { field: GraphQLField<unknown, unknown>; operation: 'query' | 'mutation'; arg: string; path: string[] };

// DateTime is parsed to a Date: no text of it reaches the database.
const NUMERIC = new Set(['Int', 'Float', 'Boolean', 'DateTime']);
const DOCUMENT_ID = Buffer.from('Document:1').toString('base64');

function stringLeaves(): Leaf[] {
  const leaves: Leaf[] = [];
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const;
  for (const [operation, root] of roots) {
    for (const field of Object.values(root!.getFields())) {
      for (const arg of field.args) {
        for (const path of textPaths(arg.type, new Set())) leaves.push({ field, operation, arg: arg.name, path });
      }
    }
  }
  return leaves;
}

/** Paths (input field names) from a type down to each string-carrying scalar under it. */
function textPaths(type: GraphQLInputType, seen: Set<string>): string[][] {
  const named = getNamedType(type);
  if (isScalarType(named)) return NUMERIC.has(named.name) ? [] : [[]];
  if (!isInputObjectType(named) || seen.has(named.name)) return [];
  return Object.values(named.getFields()).flatMap((field) =>
    textPaths(field.type, new Set([...seen, named.name])).map((rest) => [field.name, ...rest]),
  );
}

/** A value of the type that passes variable coercion, with `leaf` at `path`; and the path's name. */
function build(type: GraphQLInputType, path: string[], leaf: unknown, name: string): { value: unknown; name: string } {
  if (isNonNullType(type)) return build(type.ofType, path, leaf, name);
  if (isListType(type)) {
    const item = build(type.ofType, path, leaf, `${name}[0]`);
    return { value: [item.value], name: item.name };
  }
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.name !== path[0]) value[field.name] = build(field.type, [], undefined, '').value;
    }
    if (path.length === 0) return { value, name };
    const [next, ...rest] = path as [string, ...string[]];
    const inner = build(type.getFields()[next]!.type, rest, leaf, `${name}.${next}`);
    value[next] = inner.value;
    return { value, name: inner.name };
  }
  if (isEnumType(type)) return { value: type.getValues()[0]!.name, name };
  if (isScalarType(type)) {
    if (type.name === 'Int' || type.name === 'Float') return { value: 1, name };
    if (type.name === 'Boolean') return { value: true, name };
    if (leaf === undefined) return { value: type.name === 'ID' ? DOCUMENT_ID : type.name === 'String' ? 'x' : {}, name };
    // JSON-like scalars carry the string as a member's value.
    if (type.name !== 'String' && type.name !== 'ID') return { value: { k: leaf }, name: `${name}.k` };
    return { value: leaf, name };
  }
  throw new Error(`unexpected input type ${String(type)}`);
}

function selection(type: GraphQLOutputType): string {
  return isLeafType(getNamedType(type)) ? '' : ' { __typename }';
}

function operationFor(leaf: Leaf, bad: string): { query: string; variables: Record<string, unknown>; field: string } {
  const variables: Record<string, unknown> = {};
  let field = '';
  for (const arg of leaf.field.args) {
    if (arg.name === leaf.arg) {
      const built = build(arg.type, leaf.path, bad, arg.name);
      variables[arg.name] = built.value;
      field = built.name;
    } else if (isNonNullType(arg.type)) {
      variables[arg.name] = build(arg.type, [], undefined, arg.name).value;
    }
  }
  const declared = leaf.field.args.filter((arg) => arg.name in variables);
  const query =
    `${leaf.operation}(${declared.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ')}) ` +
    `{ ${leaf.field.name}(${declared.map((arg) => `${arg.name}: $${arg.name}`).join(', ')})${selection(leaf.field.type)} }`;
  return { query, variables, field };
}

let t: TestApp;
let slug: string;
const leaves = stringLeaves();
const label = (leaf: Leaf) => `${leaf.field.name}(${[leaf.arg, ...leaf.path].join('.')})`;

beforeAll(async () => {
  t = await startTestApp();
  slug = await t.createTenant('strings');
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const send = (query: string, variables: Record<string, unknown>) =>
  t.gql(query, variables, { 'x-tenant-id': slug, authorization: `Bearer ${ADMIN_TOKEN}` });

describe('every string argument of the schema', () => {
  it('is found by the walk: the root fields that take text, and nothing else takes any', () => {
    expect(leaves.length).toBeGreaterThan(40);
    const names = new Set(leaves.map((leaf) => leaf.field.name));
    for (const name of ['upsertDocuments', 'deleteDocuments', 'search', 'searchMany', 'createTenant', 'tenantBySlug', 'document', 'node']) {
      expect(names).toContain(name);
    }
    // Fields below the roots are not walked here: if one ever takes text, cover it.
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__') || type === schema.getQueryType() || type === schema.getMutationType()) continue;
      for (const field of Object.values(type.getFields())) {
        expect(field.args.flatMap((arg) => textPaths(arg.type, new Set())), `${type.name}.${field.name}`).toEqual([]);
      }
    }
  });

  const cases: [string, string][] = [
    ['a NUL character', 'before\u0000after'],
    ['an unpaired surrogate', 'before\ud800after'],
    ['an over-long value', 'x'.repeat(ARGUMENT_STRING_LIMIT + 1)],
  ];
  for (const [what, bad] of cases) {
    it(`refuses ${what} in each with BAD_USER_INPUT naming the argument`, async () => {
      const failures: string[] = [];
      for (const leaf of leaves) {
        const { query, variables, field } = operationFor(leaf, bad);
        const result = await send(query, variables);
        const error = result.errors?.[0];
        if (errorCode(result) !== 'BAD_USER_INPUT' || error?.extensions?.field !== field) {
          failures.push(`${label(leaf)}: ${JSON.stringify(error ?? result.data).slice(0, 200)}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it('refuses a NUL in a JSON key (a filter key), naming it', async () => {
    const result = await send('query($f: JSON) { search(query: "x", filter: $f) { info { reason } } }', { f: { 'a\u0000b': 1 } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.extensions!.field).toBe('filter["a\\u0000b"]');
  });
});

describe('global IDs', () => {
  it('an invalid one is BAD_USER_INPUT naming the argument, in a list by its index', async () => {
    const one = await send('{ document(id: "xyz") { id } }', {});
    expect(errorCode(one)).toBe('BAD_USER_INPUT');
    expect(one.errors![0]!.extensions!.field).toBe('id');
    const many = await send('mutation($ids: [ID!]) { deleteDocuments(ids: $ids) }', { ids: [DOCUMENT_ID, 'not-an-id'] });
    expect(errorCode(many)).toBe('BAD_USER_INPUT');
    expect(many.errors![0]!.extensions!.field).toBe('ids[1]');
  });

  it("one of another type is BAD_USER_INPUT naming the type it must be", async () => {
    const result = await send('query($id: ID!) { document(id: $id) { id } }', { id: Buffer.from('Tenant:1').toString('base64') });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.message).toMatch(/^id: must be the global ID of a Document/);
  });
});
