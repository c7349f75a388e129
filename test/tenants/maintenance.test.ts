import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain } from '../../src/search/search.service.js';
import { findTenantBySlug } from '../../src/tenants/tenant.service.js';
import { embedText } from '../helpers/hashing-embedder.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';
import { onCitus } from '../helpers/test-database.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { PROMOTION_THRESHOLD: '0' } });
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const UPSERT = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }';

async function seeded(placement: 'SHARED' | 'DEDICATED', count = 40) {
  const slug = await t.createTenant('kept', { placement });
  const d = Array.from({ length: count }, (_, i) => ({ content: `maintenance document ${i}` }));
  expect((await t.as(slug)(UPSERT, { d })).errors).toBeUndefined();
  return slug;
}

describe('maintenance', () => {
  it('rebuilds a dedicated index with new settings and keeps searching', async () => {
    const slug = await seeded('DEDICATED');
    const result = await t.admin(
      'mutation($s: String!) { rebuildTenantIndex(slug: $s, hnsw: { m: 8, efConstruction: 40 }) { hnsw { m efConstruction } indexSizeBytes } }',
      { s: slug },
    );
    expect(result.data?.rebuildTenantIndex.hnsw).toEqual({ m: 8, efConstruction: 40 });
    expect(result.data?.rebuildTenantIndex.indexSizeBytes).toBeGreaterThan(0);
    const tenant = (await findTenantBySlug(t.app.deps, slug))!;
    const { rows } = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes where tablename = ${`documents_t${tenant.id}`} and indexdef like '%hnsw%'`.execute(t.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.indexname).toBe(`documents_t${tenant.id}_embedding_hnsw`);
    expect(rows[0]!.indexdef).toMatch(/m='?8'?, ef_construction='?40'?/);
    const search = await t.as(slug)('{ search(query: "maintenance document", first: 5) { hits { rank } } }');
    expect(search.data!.search.hits).toHaveLength(5);
  });

  it('refuses to rebuild a shared tenant\'s index, naming why', async () => {
    const slug = await seeded('SHARED', 3);
    const result = await t.admin('mutation($s: String!) { rebuildTenantIndex(slug: $s, hnsw: { m: 8 }) { slug } }', { s: slug });
    expect(errorCode(result)).toBe('FAILED_PRECONDITION');
    expect(result.errors?.[0]?.message).toContain('DEDICATED');
  });

  it('validates new index settings', async () => {
    const slug = await seeded('DEDICATED', 3);
    const result = await t.admin('mutation($s: String!) { rebuildTenantIndex(slug: $s, hnsw: { m: 50, efConstruction: 60 }) { slug } }', { s: slug });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.extensions?.field).toBe('hnsw.efConstruction');
  });

  it('vacuums one tenant or everything', async () => {
    const dedicated = await seeded('DEDICATED', 3);
    const shared = await seeded('SHARED', 3);
    const one = await t.admin('mutation($s: String) { vacuumAnalyze(slug: $s) }', { s: dedicated });
    expect(one.data?.vacuumAnalyze).toMatch(/^documents_t\d+$/);
    expect((await t.admin('mutation($s: String) { vacuumAnalyze(slug: $s) }', { s: shared })).data?.vacuumAnalyze).toBe('documents_shared');
    expect((await t.admin('mutation { vacuumAnalyze }')).data?.vacuumAnalyze).toBe('documents');
  });

  it('says clearly that pg_prewarm is missing on the embedded engine instead of failing', async () => {
    const slug = await seeded('DEDICATED', 3);
    const result = await t.admin('mutation($s: String!) { prewarmTenant(slug: $s) { available blocksLoaded message } }', { s: slug });
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_available_extensions where name = 'pg_prewarm'`.execute(t.db);
    if (rows[0]!.n === 0) {
      expect(result.data?.prewarmTenant).toMatchObject({ available: false, blocksLoaded: null });
      expect(result.data?.prewarmTenant.message).toContain('pg_prewarm is not available');
    } else {
      expect(result.data?.prewarmTenant.available).toBe(true);
      expect(result.data?.prewarmTenant.blocksLoaded).toBeGreaterThan(0);
    }
  });

  it('reports placement, state, counts and index size per tenant to admins', async () => {
    const dedicated = await seeded('DEDICATED', 7);
    const shared = await seeded('SHARED', 4);
    const result = await t.admin('{ tenants(state: ACTIVE) { slug placement state documentCount indexSizeBytes hnsw { m } indexBuild { phase } } }');
    const bySlug = new Map(result.data!.tenants.map((x: { slug: string }) => [x.slug, x]));
    expect(bySlug.get(dedicated)).toMatchObject({ placement: 'DEDICATED', state: 'ACTIVE', documentCount: 7, indexBuild: null });
    expect((bySlug.get(dedicated) as { indexSizeBytes: number }).indexSizeBytes).toBeGreaterThan(0);
    expect(bySlug.get(shared)).toMatchObject({ placement: 'SHARED', documentCount: 4, indexSizeBytes: null });
  });
});

describe('shared pool routing', () => {
  it("plans a shared tenant's search against its one hash bucket, exactly", async () => {
    const slug = await seeded('SHARED', 20);
    const tenant = (await findTenantBySlug(t.app.deps, slug))!;
    const [{ Plan }] = (await explain(t.app.deps, tenant, { vector: embedText('maintenance'), first: 5 })) as [{ Plan: unknown }];
    const relations = JSON.stringify(Plan).match(/"Relation Name":"[^"]+"/g) ?? [];
    expect(relations).toHaveLength(1);
    // On Citus the shared pool is one partition, and the worker reads the tenant's shard of it.
    expect(relations[0]).toMatch(onCitus ? /"documents_shared_\d+"/ : /documents_shared_b\d+/);
    expect(JSON.stringify(Plan)).not.toContain('hnsw');
  });
});
