import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toVectorParameter } from '../../src/db/vector.js';
import { type VectorStorage, vectorLayout } from '../../src/db/vector-storage.js';
import { exactSearchQuery, searchQuery } from '../../src/search/search.repository.js';
import { explain } from '../../src/search/search.service.js';
import { buildSearchIndex, dropSearchIndex, findTenantBySlug } from '../../src/tenants/tenant.service.js';
import { type Tenant, shardOf } from '../../src/tenants/tenant.js';
import { dropFreshDatabase, freshDatabaseUrl } from '../helpers/fresh-database.js';
import { createHashingEmbedder } from '../helpers/hashing-embedder.js';
import { type PlanNode, planNodes, withoutShardId } from '../helpers/query-plan.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

/*
 * Every dimension pgvector holds, indexed the way its size allows (src/db/vector-storage.ts), and
 * DEDICATED searches still planned through the tenant's HNSW index: above 2,000 dimensions the
 * vectors live out of line, where the planner would otherwise prefer a scan and sort.
 */

function randomVector(seed: number, dimensions: number): number[] {
  let state = seed;
  return Array.from({ length: dimensions }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  });
}

/** Rows straight into the tenant's partition, before its index is built (as bulk loads go). */
async function loadRows(t: TestApp, tenant: Tenant, count: number, dimensions: number): Promise<void> {
  for (let start = 0; start < count; start += 100) {
    const rows = Array.from({ length: Math.min(100, count - start) }, (_, i) => ({
      tenant_id: tenant.id,
      shard: shardOf(tenant).shard,
      external_id: `r${start + i}`,
      content: `row ${start + i}`,
      metadata: '{}',
      embedding: toVectorParameter(randomVector(start + i + 1, dimensions)),
      embedding_model: 'test-hashing',
      content_hash: 'h',
    }));
    await t.db.insertInto('documents').values(rows).execute();
  }
}

const scans = (plan: PlanNode) => planNodes(plan).filter((node) => node['Relation Name'] !== undefined);

type Case = { dimensions: number; storage: VectorStorage; kind: string; rows: number; efSearch?: number };

// 1,536 dimensions keep their vectors inline, as before: like test/search/search-plan.test.ts it
// needs enough rows for the index to be rightly cheaper than a scan (on the embedded engine, 2,500
// rows of float32 vectors at ef_search 40; at the default 100, more, which a test would take
// minutes to index). Out of line, a few hundred do: every plan but the index's sorts, and sorting
// is off for those searches (db/vector-storage.ts plannerSettings).
const CASES: Case[] = [
  { dimensions: 1536, storage: 'float32', kind: 'vector', rows: 2500, efSearch: 40 },
  { dimensions: 1536, storage: 'float16', kind: 'halfvec', rows: 2500 },
  { dimensions: 3072, storage: 'float32', kind: 'halfvec', rows: 300 },
  { dimensions: 4096, storage: 'float32', kind: 'binary', rows: 300 },
];

describe.each(CASES)('$dimensions dimensions, VECTOR_STORAGE=$storage', ({ dimensions, storage, kind, rows, efSearch }) => {
  let t: TestApp;
  let url: string | undefined;
  let dedicated: Tenant;
  let shared: Tenant;

  beforeAll(async () => {
    url = await freshDatabaseUrl(`dims_${dimensions}_${storage}`);
    t = await startTestApp({
      embedder: createHashingEmbedder(dimensions).provider,
      env: { VECTOR_STORAGE: storage, ...(url ? { DATABASE_URL: url } : {}) },
    });
    const slug = await t.createTenant('dims', { placement: 'DEDICATED' });
    dedicated = (await findTenantBySlug(t.app.deps, slug))!;
    await dropSearchIndex(t.app.deps, dedicated);
    await loadRows(t, dedicated, rows, dimensions);
    await buildSearchIndex(t.app.deps, dedicated);
    await sql`analyze ${sql.table(`documents_t${dedicated.id}`)}`.execute(t.db);
    shared = (await findTenantBySlug(t.app.deps, await t.createTenant('dims-shared')))!;
    await loadRows(t, shared, 50, dimensions);
    await sql`analyze documents`.execute(t.db);
  }, 600_000);
  afterAll(async () => {
    await t?.close();
    await dropFreshDatabase(url);
  });

  it(`indexes the ${kind} layout`, () => {
    expect(t.app.deps.vectors).toEqual({ dimensions, storage, metric: 'cosine', kind });
  });

  it('answers a DEDICATED search through the HNSW index', async () => {
    const [{ Plan }] = (await explain(t.app.deps, dedicated, { vector: randomVector(42, dimensions), first: 10, efSearch })) as [{ Plan: PlanNode }];
    const read = scans(Plan);
    expect(read.map((n) => withoutShardId(n['Relation Name']))).toEqual([`documents_t${dedicated.id}`]);
    expect(read[0]!['Node Type']).toBe('Index Scan');
    expect(withoutShardId(read[0]!['Index Name'])).toBe(`documents_t${dedicated.id}_embedding_hnsw`);
  });

  it('finds a stored vector first, at distance 0, by every search mode', async () => {
    const vector = randomVector(7, dimensions); // row r6's
    const search = await t.as(dedicated.slug)('query($v: [Float!]) { search(vector: $v, first: 3) { hits { distance document { externalId } } info { strategy } } }', { v: vector });
    expect(search.errors).toBeUndefined();
    expect(search.data!.search.info.strategy).toBe('HNSW');
    expect(search.data!.search.hits[0].document.externalId).toBe('r6');
    expect(search.data!.search.hits[0].distance).toBeCloseTo(0, 5);
    expect(search.data!.search.hits).toHaveLength(3);
    const sharedSearch = await t.as(shared.slug)('query($v: [Float!]) { search(vector: $v, first: 3) { hits { document { externalId } } info { strategy } } }', { v: vector });
    expect(sharedSearch.data!.search.info.strategy).toBe('EXACT');
    expect(sharedSearch.data!.search.hits[0].document.externalId).toBe('r6');
  });

  it('searches a SHARED tenant exactly, in its bucket of the shared pool, as before', async () => {
    const params = { vector: toVectorParameter(randomVector(42, dimensions)), limit: 10, metric: 'cosine' as const, vectors: t.app.deps.vectors };
    const [row] = await exactSearchQuery(t.db, shardOf(shared), params).explain<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>('json');
    const read = scans(row!['QUERY PLAN'][0].Plan);
    expect(read.length).toBeGreaterThan(0);
    for (const node of read) {
      expect(withoutShardId(node['Relation Name'])).toMatch(/^documents_shared/);
      expect(node['Index Name'] ?? '').not.toMatch(/hnsw/);
    }
  });

  if (kind === 'vector') {
    it('runs the same statement as before up to 2,000 float32 dimensions', () => {
      const params = { vector: toVectorParameter(randomVector(1, dimensions)), limit: 10, metric: 'cosine' as const };
      const before = searchQuery(t.db, shardOf(dedicated), params).compile().sql;
      expect(searchQuery(t.db, shardOf(dedicated), { ...params, vectors: t.app.deps.vectors }).compile().sql).toBe(before);
    });
  }
});

describe('vector layouts', () => {
  it('follow pgvector HNSW limits: vector to 2,000, halfvec to 4,000, bit beyond', () => {
    expect(vectorLayout(2000, 'float32', 'cosine').kind).toBe('vector');
    expect(vectorLayout(2001, 'float32', 'cosine').kind).toBe('halfvec');
    expect(vectorLayout(512, 'float16', 'l2').kind).toBe('halfvec');
    expect(vectorLayout(4000, 'float16', 'cosine').kind).toBe('halfvec');
    expect(vectorLayout(4001, 'float32', 'cosine').kind).toBe('binary');
    expect(vectorLayout(16_000, 'float16', 'inner_product').kind).toBe('binary');
    expect(() => vectorLayout(16_001, 'float32', 'cosine')).toThrow(/EMBEDDING_DIMENSIONS=16001/);
  });
});
