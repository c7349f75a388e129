import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain } from '../../src/search/search.service.js';
import { buildSearchIndex, dropSearchIndex, findTenantBySlug } from '../../src/tenants/tenant.service.js';
import type { Tenant } from '../../src/tenants/tenant.js';
import { type PlanNode, planNodes, taskCounts, withoutShardId } from '../helpers/query-plan.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

let t: TestApp;
let tenant: Tenant;

function randomVector(seed: number): number[] {
  let state = seed;
  return Array.from({ length: 512 }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  });
}

beforeAll(async () => {
  t = await startTestApp();
  // Neighbours in other partitions make a plan that reads them visible.
  for (const prefix of ['plan-other-a', 'plan', 'plan-other-b']) {
    const slug = await t.createTenant(prefix, { placement: 'DEDICATED' });
    const current = (await findTenantBySlug(t.app.deps, slug))!;
    // At a few hundred rows a scan and sort is rightly cheaper than the index; at thousands it
    // is not. Loading before building the index is how bulk loads should go anyway.
    const batches = prefix === 'plan' ? 8 : 1;
    const size = prefix === 'plan' ? 500 : 50;
    await dropSearchIndex(t.app.deps, current);
    for (let batch = 0; batch < batches; batch++) {
      const d = Array.from({ length: size }, (_, i) => ({ content: `doc ${batch}-${i}`, embedding: randomVector(batch * 1000 + i + 1) }));
      const result = await t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', { d });
      expect(result.errors).toBeUndefined();
    }
    await buildSearchIndex(t.app.deps, current);
    if (prefix === 'plan') tenant = current;
  }
  // No manual ANALYZE: the server keeps statistics fresh after writes (PGlite has no autovacuum).
  await t.app.deps.maintenance.idle();
});
afterAll(async () => {
  await t.close();
});

describe('search plan', () => {
  it("reads only the tenant's partition, through its HNSW index", async () => {
    const [{ Plan }] = (await explain(t.app.deps, tenant, { vector: randomVector(42), first: 10 })) as [{ Plan: PlanNode }];
    const scans = planNodes(Plan).filter((n) => n['Relation Name'] !== undefined);
    expect(scans.map((n) => withoutShardId(n['Relation Name']))).toEqual([`documents_t${tenant.id}`]);
    expect(scans[0]!['Node Type']).toBe('Index Scan');
    expect(withoutShardId(scans[0]!['Index Name'])).toBe(`documents_t${tenant.id}_embedding_hnsw`);
    // On Citus: one task, on the one worker holding the tenant (none on a single PostgreSQL).
    expect(taskCounts(Plan).every((count) => count === 1)).toBe(true);
  });

  it('keeps ef_search transaction-local', async () => {
    await t.as(tenant.slug)('query($v: [Float!]) { search(vector: $v, efSearch: 321) { hits { rank } } }', { v: randomVector(7) });
    const { rows } = await sql<{ ef: string }>`select current_setting('hnsw.ef_search') as ef`.execute(t.db);
    expect(rows[0]!.ef).toBe('40');
  });
});
