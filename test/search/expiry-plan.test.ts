import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain } from '../../src/search/search.service.js';
import { buildSearchIndex, dropSearchIndex, findTenantBySlug } from '../../src/tenants/tenant.service.js';
import type { Tenant } from '../../src/tenants/tenant.js';
import { type PlanNode, planNodes, withoutShardId } from '../helpers/query-plan.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

// A dedicated tenant of 4,000 documents, every other one expired and not purged: the expiry
// filter must leave the HNSW index in the plan, and the search still fill its page.
let t: TestApp;
let tenant: Tenant;
let slug: string;

function randomVector(seed: number): number[] {
  let state = seed;
  return Array.from({ length: 512 }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  });
}

beforeAll(async () => {
  t = await startTestApp({ env: { EXPIRY_PURGE_INTERVAL_MS: '0' } });
  slug = await t.createTenant('exp-plan', { placement: 'DEDICATED' });
  tenant = (await findTenantBySlug(t.app.deps, slug))!;
  await dropSearchIndex(t.app.deps, tenant);
  for (let batch = 0; batch < 8; batch++) {
    const d = Array.from({ length: 500 }, (_, i) => ({
      externalId: `${batch * 500 + i}`,
      content: `doc ${batch}-${i}`,
      embedding: randomVector(batch * 1000 + i + 1),
    }));
    const result = await t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', { d });
    expect(result.errors).toBeUndefined();
  }
  await buildSearchIndex(t.app.deps, tenant);
  // Expired a second ago, as if written with a short expiresAt; the purge is off.
  await sql`update documents set expires_at = now() - interval '1 second'
             where tenant_id = ${tenant.id} and external_id::integer % 2 = 0`.execute(t.db);
  await sql`analyze ${sql.table(`documents_t${tenant.id}`)}`.execute(t.db);
}, 300_000);
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe('a search over expired rows', () => {
  it('still goes through the HNSW index', async () => {
    const [{ Plan }] = (await explain(t.app.deps, tenant, { vector: randomVector(42), first: 10 })) as [{ Plan: PlanNode }];
    const scans = planNodes(Plan).filter((n) => n['Relation Name'] !== undefined);
    expect(scans[0]!['Node Type']).toBe('Index Scan');
    expect(withoutShardId(scans[0]!['Index Name'])).toBe(`documents_t${tenant.id}_embedding_hnsw`);
  });

  it('returns a full page of unexpired documents only', async () => {
    const result = await t.as(slug)('query($v: [Float!]!) { search(vector: $v, first: 10) { hits { document { externalId } } info { complete } } }', {
      v: randomVector(42),
    });
    expect(result.errors).toBeUndefined();
    const ids = result.data!.search.hits.map((hit: { document: { externalId: string } }) => Number(hit.document.externalId));
    expect(ids).toHaveLength(10);
    expect(ids.every((id: number) => id % 2 === 1)).toBe(true);
    expect(result.data!.search.info.complete).toBe(true);
  });
});
