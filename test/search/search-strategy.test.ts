import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertDocuments } from '../../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../../src/embeddings/embedding-loaders.js';
import { buildSearchIndex, dropSearchIndex, findTenantBySlug } from '../../src/tenants/tenant.service.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

// A dedicated tenant of 20,000 documents and filters of decreasing selectivity: every search must
// return min(first, matches) hits with recall@10 >= 0.95 against exact search, and say how.
const DOCS = 20_000;
const DIM = 512;
const FILTERS = [
  { name: '50%', key: 'p50', every: 2 },
  { name: '20%', key: 'p20', every: 5 },
  { name: '5%', key: 'p5', every: 20 },
  { name: '0.5%', key: 'p05', every: 200 },
  { name: '0.05%', key: 'p005', every: 2000 },
] as const;

let t: TestApp;
let slug: string;
const vectors: Float64Array[] = [];

function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// Real embeddings vary along far fewer directions than they have dimensions: points drawn in a
// 24-dimensional latent space, projected to 512 dimensions with a little noise, behave like them
// (uniform noise in 512 dimensions makes every neighbour a near-tie and recall meaningless).
const LATENT = 24;
const projection = (() => {
  const gauss = gaussian(random(1));
  return Array.from({ length: LATENT }, () => Float64Array.from({ length: DIM }, gauss));
})();

function gaussian(rand: () => number) {
  return () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

function makeVectors(count: number, seed: number): Float64Array[] {
  const gauss = gaussian(random(seed));
  return Array.from({ length: count }, () => {
    const z = Array.from({ length: LATENT }, gauss);
    const v = new Float64Array(DIM);
    for (let d = 0; d < DIM; d++) {
      let x = gauss() * 0.5;
      for (let i = 0; i < LATENT; i++) x += z[i]! * projection[i]![d]!;
      v[d] = x;
    }
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

const cosineDistance = (a: Float64Array, b: Float64Array) => {
  let dot = 0;
  for (let i = 0; i < DIM; i++) dot += a[i]! * b[i]!;
  return 1 - dot;
};

beforeAll(async () => {
  t = await startTestApp({ env: { MAX_BATCH_SIZE: '2000' } });
  slug = await t.createTenant('strategy', { placement: 'DEDICATED' });
  const tenant = (await findTenantBySlug(t.app.deps, slug))!;
  vectors.push(...makeVectors(DOCS, 7));
  await dropSearchIndex(t.app.deps, tenant);
  const loaders = createEmbeddingLoaders(t.app.deps.embedder);
  for (let start = 0; start < DOCS; start += 2000) {
    const batch = vectors.slice(start, start + 2000).map((v, offset) => {
      const i = start + offset;
      const metadata = Object.fromEntries(FILTERS.map((f) => [f.key, i % f.every === 0]));
      return { externalId: String(i), content: `document ${i}`, metadata, embedding: Array.from(v) };
    });
    await upsertDocuments(t.app.deps, loaders, tenant, batch);
  }
  await buildSearchIndex(t.app.deps, tenant);
  await t.app.deps.maintenance.idle();
}, 300_000);

afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const SEARCH = `query($v: [Float!], $filter: JSON, $first: Int) {
  search(vector: $v, filter: $filter, first: $first) {
    hits { document { externalId } }
    info { strategy efSearch candidatesScanned complete reason }
  }
}`;

describe('per-query strategy on a 20,000-document dedicated tenant', () => {
  it.each(FILTERS)('filter matching $name: min(first, matches) hits, recall@10 >= 0.95, honest info', async (filter) => {
    const queries = makeVectors(15, 1000 + filter.every);
    const matching = vectors.map((v, i) => ({ v, i })).filter(({ i }) => i % filter.every === 0);
    let recallSum = 0;
    for (const q of queries) {
      const result = await t.as(slug)(SEARCH, { v: Array.from(q), filter: { [filter.key]: true }, first: 10 });
      expect(result.errors).toBeUndefined();
      const { hits, info } = result.data!.search;
      expect(hits).toHaveLength(Math.min(10, matching.length));
      expect(info.complete).toBe(true);
      if (matching.length <= 2000) {
        expect(info).toMatchObject({ strategy: 'EXACT', candidatesScanned: matching.length, efSearch: null });
      } else {
        expect(info.strategy).toBe('HNSW_ITERATIVE');
        expect(info.efSearch).toBeGreaterThanOrEqual(10);
      }
      const truth = matching
        .map(({ v, i }) => ({ i, d: cosineDistance(q, v) }))
        .sort((a, b) => a.d - b.d)
        .slice(0, 10)
        .map(({ i }) => String(i));
      const found = new Set(hits.map((h: { document: { externalId: string } }) => h.document.externalId));
      recallSum += truth.filter((id) => found.has(id)).length / truth.length;
      for (const hit of hits) expect(Number(hit.document.externalId) % filter.every).toBe(0);
    }
    expect(recallSum / queries.length).toBeGreaterThanOrEqual(0.95);
  });

  it('uses the HNSW index without a filter, and says so', async () => {
    const [q] = makeVectors(1, 99);
    const result = await t.as(slug)(SEARCH, { v: Array.from(q!), first: 25 });
    expect(result.data!.search.hits).toHaveLength(25);
    expect(result.data!.search.info).toMatchObject({ strategy: 'HNSW', efSearch: 100, complete: true, candidatesScanned: null });
  });

  it('answers a filter that matches nothing with an empty, complete page', async () => {
    const [q] = makeVectors(1, 98);
    const result = await t.as(slug)(SEARCH, { v: Array.from(q!), filter: { nope: 1 }, first: 10 });
    expect(result.data!.search.hits).toEqual([]);
    expect(result.data!.search.info).toMatchObject({ strategy: 'EXACT', candidatesScanned: 0, complete: true });
  });
});
