import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIntrospectionQuery } from 'graphql';
import { graphiqlExampleOperations } from '../../src/demo/graphiql-examples.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

// Hostile operations against the default limits: each is refused with a clear code before the
// request costs a database statement or an embedder call. The SQL log and the embedder's call
// log are the evidence: neither may grow while the request is answered.

let t: TestApp;
let slug: string;
const RESPONSE_TYPE = 'application/graphql-response+json';

beforeAll(async () => {
  t = await startTestApp();
  slug = await t.createTenant('hostile');
  await t.as(slug)('mutation { upsertDocuments(documents: [{ content: "a whale" }, { content: "a seal" }]) { documents { id } } }');
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

type Body = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };

/** Sends the operation as the tenant and returns the response, asserting it did no work. */
async function sendWithoutWork(query: string, variables: Record<string, unknown> | string = {}): Promise<{ status: number; body: Body }> {
  await t.app.deps.maintenance.idle(); // background statistics from earlier writes would log SQL too
  const queriesBefore = t.queries.length;
  const embedsBefore = t.embedderCalls.length;
  const response = await t.app.yoga.fetch('http://narwhal.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: RESPONSE_TYPE, 'x-tenant-id': slug },
    // Variables may come as JSON text: some are too deep for JSON.stringify to write.
    body: `{"query":${JSON.stringify(query)},"variables":${typeof variables === 'string' ? variables : JSON.stringify(variables)}}`,
  });
  const body = (await response.json()) as Body;
  expect(t.queries.slice(queriesBefore), 'SQL run for a refused request').toEqual([]);
  expect(t.embedderCalls.length, 'embedder called for a refused request').toBe(embedsBefore);
  return { status: response.status, body };
}

async function expectRefused(query: string, variables: Record<string, unknown> | string, expected: Record<string, unknown>, message: RegExp) {
  const { status, body } = await sendWithoutWork(query, variables);
  expect(status).toBe(400);
  expect(body.data ?? null).toBeNull();
  expect(body.errors?.[0]?.extensions).toMatchObject(expected);
  expect(body.errors?.[0]?.message).toMatch(message);
}

const nestedSimilar = (levels: number): string =>
  levels === 0 ? 'content' : `similar { hits { document { ${nestedSimilar(levels - 1)} } } }`;

describe('operations refused before any database or embedder work', () => {
  it('deep nesting through Document.similar', async () => {
    const query = `{ search(query: "whale") { hits { document { ${nestedSimilar(4)} } } } }`;
    await expectRefused(query, {}, { code: 'QUERY_TOO_COMPLEX', limit: 'depth', max: 10 }, /depth limit of 10 exceeded, found 16/);
  });

  it('deep nesting spread over fragments', async () => {
    const fragments = [0, 1, 2, 3].map(
      (i) => `fragment F${i} on Document { similar { hits { document { ${i < 3 ? `...F${i + 1}` : 'content'} } } } }`,
    );
    const query = `{ search(query: "whale") { hits { document { ...F0 } } } } ${fragments.join(' ')}`;
    await expectRefused(query, {}, { code: 'QUERY_TOO_COMPLEX', limit: 'depth' }, /depth limit of 10 exceeded/);
  });

  it('an alias flood: 1,000 aliases', async () => {
    const query = `{ tenant { ${Array.from({ length: 1000 }, (_, i) => `a${i}: slug`).join(' ')} } }`;
    await expectRefused(query, {}, { code: 'QUERY_TOO_COMPLEX', limit: 'aliases', max: 20 }, /Aliases limit of 20 exceeded, found 1000/);
  });

  it('a field duplicated 10,000 times', async () => {
    await expectRefused(`{ tenant { ${'slug '.repeat(10_000)} } }`, {}, { code: 'QUERY_TOO_COMPLEX', limit: 'tokens' }, /Token limit of 5000/);
  });

  it('a token flood', async () => {
    await expectRefused(`{ ${'__typename '.repeat(100_000)} }`, {}, { code: 'QUERY_TOO_COMPLEX', limit: 'tokens', max: 5000 }, /Token limit/);
  });

  it('too many directives', async () => {
    const query = `{ tenant { ${'slug @include(if: true) '.repeat(60)} } }`;
    await expectRefused(query, {}, { code: 'QUERY_TOO_COMPLEX', limit: 'directives', max: 50 }, /Directives limit of 50 exceeded, found 60/);
  });

  it('circular fragments', async () => {
    const query = '{ tenant { ...A } } fragment A on Tenant { slug ...B } fragment B on Tenant { name ...A }';
    await expectRefused(query, {}, { code: 'GRAPHQL_VALIDATION_FAILED' }, /Cannot spread fragment "A" within itself/);
  });

  it('a costly fan-out, whether `first` is written in the query or passed as a variable', async () => {
    const fanOut = (first: string) => `{ search(query: "whale", first: ${first}) { hits { document { similar(first: ${first}) { hits { score } } } } } }`;
    const tooCostly = /Query Cost limit of 100000 exceeded/;
    await expectRefused(fanOut('1000'), {}, { code: 'QUERY_TOO_COMPLEX', limit: 'cost', max: 100_000 }, tooCostly);
    const withVariables = `query($n: Int) ${fanOut('$n')}`;
    await expectRefused(withVariables, { n: 1000 }, { code: 'QUERY_TOO_COMPLEX', limit: 'cost' }, tooCostly);
    const withDefault = `query($n: Int = 1000) ${fanOut('$n')}`;
    await expectRefused(withDefault, {}, { code: 'QUERY_TOO_COMPLEX', limit: 'cost' }, tooCostly);
    // Verdicts are kept per document and count values: the same document with a small count
    // passes, and the large one is still refused after it.
    const small = await t.as(slug)(withVariables, { n: 2 });
    expect(small.errors).toBeUndefined();
    await expectRefused(withVariables, { n: 1000 }, { code: 'QUERY_TOO_COMPLEX', limit: 'cost' }, tooCostly);
    expect((await t.as(slug)(withVariables, { n: 2 })).errors).toBeUndefined();
    // An explicit null is not the default: passing it first must not let the default through.
    expect((await t.as(slug)(withDefault, { n: null })).errors).toBeUndefined();
    await expectRefused(withDefault, {}, { code: 'QUERY_TOO_COMPLEX', limit: 'cost' }, tooCostly);
  });

  it('a 100,000-number vector, as a variable or written out', async () => {
    const vector = Array.from({ length: 100_000 }, () => 0.5);
    const search = 'query($v: [Float!]) { search(vector: $v) { hits { rank } } }';
    await expectRefused(search, { v: vector }, { code: 'BAD_USER_INPUT', field: '$v' }, /a list of 100000 items.*at most 2000/);
    // Written out it is 200,000 tokens: the parser stops at the token limit.
    const literal = `{ search(vector: [${vector.join(',')}]) { hits { rank } } }`;
    await expectRefused(literal, {}, { code: 'QUERY_TOO_COMPLEX', limit: 'tokens' }, /Token limit/);
  });

  it('an oversized vector: 10,000 numbers for a 512-dimension deployment', async () => {
    const search = 'query($v: [Float!]) { search(vector: $v) { hits { rank } } }';
    await expectRefused(search, { v: new Array(10_000).fill(0.1) }, { code: 'BAD_USER_INPUT', field: '$v' }, /10000 items/);
  });

  it('100,000 documents in one upsert', async () => {
    const documents = Array.from({ length: 100_000 }, (_, i) => ({ content: `document ${i}` }));
    const upsert = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }';
    await expectRefused(upsert, { d: documents }, { code: 'BAD_USER_INPUT', field: '$d' }, /100000 items/);
  });

  it('a 1 MB search text, and a 20 MB query string', async () => {
    const search = 'query($q: String) { search(query: $q) { hits { rank } } }';
    await expectRefused(search, { q: 'whale '.repeat(175_000) }, { code: 'BAD_USER_INPUT', field: '$q' }, /1050000 characters/);
    const inline = `{ search(query: "${'w'.repeat(20_000_000)}") { hits { rank } } }`;
    await expectRefused(inline, {}, { code: 'BAD_USER_INPUT', field: 'query' }, /a string of 20000000 characters/);
  });

  it('deeply nested JSON in a variable', async () => {
    const depth = 100_000;
    const filter = `${'{"deeper":'.repeat(depth)}{"lang":"en"}${'}'.repeat(depth)}`;
    const search = 'query($f: JSON) { search(query: "whale", filter: $f) { hits { rank } } }';
    await expectRefused(search, `{"f":${filter}}`, { code: 'BAD_USER_INPUT', field: expect.stringMatching(/^\$f(\.deeper)+$/) }, /deeper than 64 levels/);
  });
});

describe('what the limits let through', () => {
  it('a search nested one similar deep, 20 aliases, and a search with first 1000', async () => {
    const nested = await t.as(slug)(`{ search(query: "whale", first: 2) { hits { document { ${nestedSimilar(1)} } } } }`);
    expect(nested.errors).toBeUndefined();
    const aliases = await t.as(slug)(`{ tenant { ${Array.from({ length: 20 }, (_, i) => `a${i}: slug`).join(' ')} } }`);
    expect(aliases.errors).toBeUndefined();
    const wide = await t.as(slug)('query($n: Int) { search(query: "whale", first: $n) { hits { rank score document { id content metadata } } } }', { n: 1000 });
    expect(wide.errors).toBeUndefined();
    expect(wide.data!.search.hits).toHaveLength(2);
  });

  it("every GraphiQL example operation, and GraphiQL's full introspection query", async () => {
    const examples = graphiqlExampleOperations('dev', slug);
    const names = [...examples.matchAll(/^(?:query|mutation) (\w+)/gm)].map((match) => match[1]!);
    expect(names.length).toBeGreaterThan(3);
    for (const operationName of names) {
      const response = await t.app.yoga.fetch('http://narwhal.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant-id': slug },
        body: JSON.stringify({ query: examples, operationName }),
      });
      expect((await response.json()).errors, operationName).toBeUndefined();
    }
    const introspection = getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, schemaDescription: true, specifiedByUrl: true, directiveIsRepeatable: true, oneOf: true });
    expect((await t.gql(introspection)).errors).toBeUndefined();
  });
});
