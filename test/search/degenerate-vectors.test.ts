import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VECTOR_VALUE_LIMIT, validateVector } from '../../src/documents/document-input.js';
import { embedText } from '../helpers/hashing-embedder.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

// Vectors that no distance can be computed from: a zero vector under cosine (no direction),
// values that are zero once stored as float32, values beyond float32. Refused where they come
// in; a row already stored with one never makes a search fail.
let t: TestApp;
let slug: string;
const DIMENSIONS = 512;
const filled = (value: number) => new Array<number>(DIMENSIONS).fill(value);
const UPSERT = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id externalId } } }';
const SEARCH = `query($query: String, $vector: [Float!], $mode: SearchMode, $fusion: FusionInput) {
  search(query: $query, vector: $vector, first: 10, mode: $mode, fusion: $fusion) {
    hits { distance score keywordScore fusedScore document { externalId } }
    info { complete reason }
  }
}`;
const CORPUS = [
  { externalId: 'cat', content: 'the cat sleeps on the mat' },
  { externalId: 'dog', content: 'the dog barks at the cat' },
  { externalId: 'fish', content: 'a fish swims' },
];

beforeAll(async () => {
  t = await startTestApp();
  slug = await t.createTenant('degenerate');
  const result = await t.as(slug)(UPSERT, { d: CORPUS });
  expect(result.errors).toBeUndefined();
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const count = async () => (await t.as(slug)('{ tenant { documentCount } }')).data!.tenant.documentCount as number;

describe('vectors that have no usable distance are refused at the door', () => {
  const bad: [string, number[]][] = [
    ['a zero vector', filled(0)],
    ['values that are zero in float32 (1e-46)', filled(1e-46)],
    ['values whose squares are zero in float32 (1e-30)', filled(1e-30)],
    ['values beyond float32 (1e39)', filled(1e39)],
    ['a value beyond the limit among normal ones', [...embedText('cat').slice(0, DIMENSIONS - 1), 1e20]],
  ];

  it.each(bad)('upsert refuses %s naming documents[3].embedding, and writes nothing', async (_label, embedding) => {
    const before = await count();
    const documents = [0, 1, 2].map((i) => ({ externalId: `ok-${i}`, content: 'fine', embedding: embedText(`fine ${i}`) }));
    const result = await t.as(slug)(UPSERT, { d: [...documents, { externalId: 'z', content: 'zero', embedding }] });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.extensions!.field).toBe('documents[3].embedding');
    expect(await count()).toBe(before);
  });

  it.each(bad)('search refuses %s naming vector', async (_label, vector) => {
    const result = await t.as(slug)(SEARCH, { vector });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.extensions!.field).toBe('vector');
    expect(result.errors![0]!.message).toMatch(/^vector: /);
  });

  it('a zero vector is meaningful under l2 and inner product, values beyond the limit under none', () => {
    expect(validateVector('v', filled(0), DIMENSIONS, 'l2')).toHaveLength(DIMENSIONS);
    expect(validateVector('v', filled(0), DIMENSIONS, 'inner_product')).toHaveLength(DIMENSIONS);
    for (const metric of ['cosine', 'l2', 'inner_product'] as const) {
      expect(() => validateVector('v', filled(VECTOR_VALUE_LIMIT * 10), DIMENSIONS, metric)).toThrow(/finite numbers from/);
      expect(validateVector('v', filled(1e-3), DIMENSIONS, metric)).toHaveLength(DIMENSIONS);
    }
  });
});

describe('a row stored with a zero vector (from before, or written by SQL) never fails a search', () => {
  beforeAll(async () => {
    const result = await t.as(slug)(UPSERT, { d: [{ externalId: 'zero', content: 'the cat has no direction' }] });
    expect(result.errors).toBeUndefined();
    const zero = `[${filled(0).join(',')}]`;
    await sql`update documents set embedding = ${zero}::vector where external_id = 'zero'`.execute(t.db);
  });

  const hitsAndInfo = async (variables: Record<string, unknown>) => {
    const result = await t.as(slug)(SEARCH, variables);
    expect(result.errors).toBeUndefined();
    return result.data!.search as { hits: Record<string, any>[]; info: { complete: boolean; reason: string } };
  };

  it('VECTOR: the row is left out and info says so', async () => {
    const { hits, info } = await hitsAndInfo({ vector: embedText('cat') });
    expect(hits.map((hit) => hit.document.externalId).sort()).toEqual(['cat', 'dog', 'fish']);
    for (const hit of hits) expect(Number.isFinite(hit.distance)).toBe(true);
    expect(info.reason).toMatch(/1 document left out: no finite distance/);
  });

  it('KEYWORD: ranks by words alone, so a stored zero vector costs nothing (no distance is computed)', async () => {
    const { hits, info } = await hitsAndInfo({ query: 'cat', mode: 'KEYWORD', fusion: {} });
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) {
      expect([hit.distance, hit.score]).toEqual([null, null]);
      expect(Number.isFinite(hit.keywordScore)).toBe(true);
    }
    expect(info.reason).not.toMatch(/left out/);
  });

  it.each([
    ['HYBRID', {}],
    ['HYBRID', { method: 'RRF' }],
    ['HYBRID', { alpha: 0.5 }],
  ])('%s %j: every score is a number', async (mode, fusion) => {
    const { hits, info } = await hitsAndInfo({ query: 'cat', mode, fusion });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.map((hit) => hit.document.externalId)).not.toContain('zero');
    for (const hit of hits) {
      for (const key of ['distance', 'score', 'keywordScore', 'fusedScore']) {
        if (hit[key] !== null) expect(Number.isFinite(hit[key])).toBe(true);
      }
    }
    expect(info.reason).toMatch(/left out/);
  });

  it('similar: from the zero-vector document, nothing is near; from another, it is left out', async () => {
    const SIMILAR = '{ documents { edges { node { externalId similar(first: 10) { hits { distance document { externalId } } info { reason } } } } } }';
    const result = await t.as(slug)(SIMILAR);
    expect(result.errors).toBeUndefined();
    const byId = new Map(result.data!.documents.edges.map((edge: any) => [edge.node.externalId, edge.node.similar]));
    const fromZero = byId.get('zero') as any;
    expect(fromZero.hits).toEqual([]);
    expect(fromZero.info.reason).toMatch(/left out/);
    const fromCat = byId.get('cat') as any;
    expect(fromCat.hits.map((hit: any) => hit.document.externalId)).not.toContain('zero');
  });
});
