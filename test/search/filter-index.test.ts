import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/tenant.js';
import { inTenantSession } from '../../src/tenants/tenant-session.js';
import { findTenantBySlug } from '../../src/tenants/tenant.service.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';
import { onCitus } from '../helpers/test-database.js';

// Under row-level security a condition can be an index condition only if its operator is
// LEAKPROOF (migration 0013): filters must still reach their GIN indexes as narwhal_app.
let t: TestApp;
let tenant: Tenant;
beforeAll(async () => {
  t = await startTestApp({ env: { PROMOTION_THRESHOLD: '0' } });
  const slug = await t.createTenant('gin', { placement: 'DEDICATED' });
  const vector = Array.from({ length: 512 }, (_, i) => (i === 0 ? 1 : 0));
  for (let batch = 0; batch < 4; batch++) {
    const d = Array.from({ length: 500 }, (_, i) => ({
      content: `document ${batch * 500 + i} about ${i % 50 === 0 ? 'narwhals' : 'fish'}`,
      metadata: { k: (batch * 500 + i) % 200 },
      embedding: vector,
    }));
    const written = await t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', { d });
    expect(written.errors).toBeUndefined();
  }
  tenant = (await findTenantBySlug(t.app.deps, slug))!;
  await sql`analyze documents`.execute(t.db);
});
afterAll(async () => {
  await t.close();
});

async function planAsTenant(query: (shard: { shard: number; tenantId: number }) => ReturnType<typeof sql>) {
  return inTenantSession(t.database, tenant, {
    run: async ({ db: trx, shard }) => {
      // On Citus the worker's shard holds this tenant's 2,000 rows alone and its statistics are the
      // shard's own: the question is whether the index can serve the condition under row-level
      // security (a non-LEAKPROOF operator cannot), not which plan is cheaper there.
      if (onCitus) await sql`set local enable_seqscan = off`.execute(trx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${query(shard)}`.execute(trx);
      const role = await sql<{ current_user: string }>`select current_user`.execute(trx);
      return { plan: rows.map((row) => row['QUERY PLAN']).join('\n'), role: role.rows[0]!.current_user };
    },
  });
}

describe('filters under row-level security', () => {
  it('a metadata containment filter uses the GIN index', async () => {
    const { plan, role } = await planAsTenant(
      (s) => sql`select id from documents where shard = ${s.shard} and tenant_id = ${s.tenantId} and metadata @> '{"k": 7}'::jsonb`,
    );
    expect(role).toBe('narwhal_app');
    expect(plan).toMatch(/Bitmap Index Scan on \S*metadata\S*/);
  });

  it('a full-text match uses the tsvector GIN index', async () => {
    const { plan } = await planAsTenant(
      (s) => sql`select id from documents where shard = ${s.shard} and tenant_id = ${s.tenantId} and content_tsv @@ to_tsquery('english', 'narwhal')`,
    );
    expect(plan).toMatch(/Bitmap Index Scan on \S*content_tsv\S*/);
  });
});
