import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedText } from '../helpers/hashing-embedder.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';
import { onCitus } from '../helpers/test-database.js';

let t: TestApp;
let slug: string;
const CORPUS = [
  { externalId: 'cat', content: 'the cat sleeps on the warm mat', metadata: { kind: 'animal', lang: 'en' } },
  { externalId: 'dog', content: 'the dog barks at the mail carrier', metadata: { kind: 'animal', lang: 'en' } },
  { externalId: 'stocks', content: 'stock markets fell sharply on monday', metadata: { kind: 'finance', lang: 'en' } },
  { externalId: 'bonds', content: 'bond yields rose as markets fell', metadata: { kind: 'finance', lang: 'de' } },
  { externalId: 'cats', content: 'a cat and another cat chase a mouse', metadata: { kind: 'animal', lang: 'de' } },
];

beforeAll(async () => {
  t = await startTestApp();
  slug = await t.createTenant('search');
  const result = await t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', {
    d: CORPUS,
  });
  expect(result.errors).toBeUndefined();
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const SEARCH = `query($query: String, $vector: [Float!], $first: Int, $filter: JSON, $efSearch: Int) {
  search(query: $query, vector: $vector, first: $first, filter: $filter, efSearch: $efSearch) {
    hits { rank distance score document { externalId metadata } }
  }
}`;

type Hit = { rank: number; distance: number; score: number; document: { externalId: string } };
const hitsOf = (result: { data?: Record<string, any> }): Hit[] => result.data?.search.hits;

describe('search', () => {
  it('ranks documents by distance, closest first, with rank from 1 and score = 1 - distance', async () => {
    const hits = hitsOf(await t.as(slug)(SEARCH, { query: 'cat', first: 5 }));
    expect(hits).toHaveLength(5);
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(hits.slice(0, 2).map((h) => h.document.externalId).sort()).toEqual(['cat', 'cats']);
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.distance).toBeGreaterThanOrEqual(hits[i - 1]!.distance);
    for (const hit of hits) expect(hit.score).toBeCloseTo(1 - hit.distance, 10);
  });

  it('searches by vector and returns the exact cosine distance', async () => {
    const vector = embedText('stock markets fell sharply on monday');
    const [top] = hitsOf(await t.as(slug)(SEARCH, { vector, first: 1 }));
    expect(top!.document.externalId).toBe('stocks');
    expect(top!.distance).toBeCloseTo(0, 5);
  });

  it('answers a search by vector without a filter in one round trip: the scope and the search, no begin or commit (a transaction on Citus)', async () => {
    const vector = embedText('stock markets fell sharply on monday');
    const before = t.queries.length;
    expect(hitsOf(await t.as(slug)(SEARCH, { vector, first: 2 }))).toHaveLength(2);
    const statements = t.queries.slice(before).filter((sql) => !/from "tenants"/.test(sql));
    // On Citus the same two statements, in a transaction: SET LOCAL reaches the workers only there.
    expect(statements).toEqual(onCitus ? ['begin', expect.any(String), expect.any(String), 'commit'] : [expect.any(String), expect.any(String)]);
    const [scope, query] = onCitus ? statements.slice(1, 3) : statements;
    expect(scope).toMatch(/narwhal_open_tenant_scope/);
    expect(query).toMatch(/from "documents"/);
  });

  it('limits to first and filters by metadata containment', async () => {
    const hits = hitsOf(await t.as(slug)(SEARCH, { query: 'cat markets', first: 10, filter: { kind: 'finance' } }));
    expect(hits.map((h) => h.document.externalId).sort()).toEqual(['bonds', 'stocks']);
    const one = hitsOf(await t.as(slug)(SEARCH, { query: 'cat', first: 1, filter: { lang: 'de' } }));
    expect(one.map((h) => h.document.externalId)).toEqual(['cats']);
  });

  it('filters by a typed where tree over metadata, and reports what it did', async () => {
    const WHERE = `query($where: MetadataFilter) {
      search(query: "cat markets", first: 10, where: $where) { hits { document { externalId } } info { strategy complete } }
    }`;
    const result = await t.as(slug)(WHERE, {
      where: { and: [{ path: ['kind'], eq: 'animal' }, { not: { path: ['lang'], in: ['de'] } }] },
    });
    expect(result.data!.search.hits.map((h: Hit) => h.document.externalId).sort()).toEqual(['cat', 'dog']);
    expect(result.data!.search.info).toEqual({ strategy: 'EXACT', complete: true });
    const bad = await t.as(slug)(WHERE, { where: { path: [], eq: 1 } });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.extensions?.field).toBe('where.path');
  });

  it('returns every document when first exceeds the tenant default ef_search', async () => {
    const many = await t.createTenant('many');
    const documents = Array.from({ length: 60 }, (_, i) => ({ content: `item number ${i}` }));
    await t.as(many)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', { d: documents });
    const hits = hitsOf(await t.as(many)(SEARCH, { query: 'item', first: 60, efSearch: 10 }));
    expect(hits).toHaveLength(60);
  });

  it("answers a dedicated tenant's similar(first: 1000): the walk's ef_search stays within pgvector's 1000", async () => {
    const wide = await t.createTenant('similar-wide', { placement: 'DEDICATED' });
    const documents = Array.from({ length: 30 }, (_, i) => ({ externalId: String(i), content: `item number ${i}` }));
    const written = await t.as(wide)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', { d: documents });
    const id = written.data?.upsertDocuments.documents[0].id;
    const result = await t.as(wide)('query($id: ID!) { document(id: $id) { similar(first: 1000) { hits { rank } info { complete } } } }', { id });
    expect(result.errors).toBeUndefined();
    expect(result.data?.document.similar.hits).toHaveLength(29);
    expect(result.data?.document.similar.info.complete).toBe(true);
  });

  it('embeds the queries of five aliased searches in one provider call, and a repeat from the query cache', async () => {
    const callsBefore = t.embedderCalls.length;
    const aliased = `{
      a: search(query: "aliased cat") { hits { rank } }
      b: search(query: "aliased dog") { hits { rank } }
      c: search(query: "aliased markets") { hits { rank } }
      d: search(query: "aliased bond yields") { hits { rank } }
      e: search(query: "aliased mouse") { hits { rank } }
    }`;
    const result = await t.as(slug)(aliased);
    expect(result.errors).toBeUndefined();
    expect(t.embedderCalls.slice(callsBefore)).toEqual([
      ['aliased cat', 'aliased dog', 'aliased markets', 'aliased bond yields', 'aliased mouse'],
    ]);
    const repeat = await t.as(slug)(aliased);
    expect(repeat.data).toEqual(result.data);
    expect(t.embedderCalls.length).toBe(callsBefore + 1);
  });

  it.each([
    ['both query and vector', { query: 'cat', vector: embedText('cat') }, 'query', 'exactly one of query and vector'],
    ['neither query nor vector', {}, 'query', 'exactly one of query and vector'],
    ['a null vector and no query', { vector: null }, 'vector', 'is null: give a vector of 512 numbers'],
    ['an empty query', { query: '  ' }, 'query', 'must not be empty'],
    ['a vector of the wrong length', { vector: [0.1, 0.2] }, 'vector', 'exactly 512'],
    ['first = 0', { query: 'cat', first: 0 }, 'first', '1 to 1000'],
    ['first = 1001', { query: 'cat', first: 1001 }, 'first', '1 to 1000'],
    ['efSearch = 0', { query: 'cat', efSearch: 0 }, 'efSearch', '1 to 1000'],
    ['efSearch = 1001', { query: 'cat', efSearch: 1001 }, 'efSearch', '1 to 1000'],
    ['a filter that is not an object', { query: 'cat', filter: ['kind'] }, 'filter', 'JSON object'],
  ])('rejects %s with BAD_USER_INPUT naming the field and limit', async (_name, variables, field, limit) => {
    const callsBefore = t.embedderCalls.length;
    const result = await t.as(slug)(SEARCH, variables);
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.extensions?.field).toBe(field);
    expect(result.errors?.[0]?.message).toContain(limit);
    expect(t.embedderCalls.length).toBe(callsBefore);
  });
});
