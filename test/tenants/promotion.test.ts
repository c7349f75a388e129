import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantShardStatement } from '../../src/db/citus-tenant-isolation.js';
import { withoutShardId } from '../helpers/query-plan.js';
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

const UPSERT = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { externalId } } }';
const SEARCH = '{ search(query: "common words here", first: 10) { hits { document { externalId } } } }';

async function rowsByTable(slug: string) {
  const { rows } = await sql<{ table: string; external_id: string }>`
    select d.tableoid::regclass::text as table, d.external_id from documents d
    join tenants t on t.id = d.tenant_id where t.slug = ${slug}`.execute(t.db);
  return rows;
}

async function loadTenant(slug: string, count: number) {
  const d = Array.from({ length: count }, (_, i) => ({ externalId: `seed-${i}`, content: `common words here ${i}` }));
  expect((await t.as(slug)(UPSERT, { d })).errors).toBeUndefined();
}

describe('promotion and demotion under load', () => {
  it('moves a tenant while it is written and searched: no write lost or duplicated, no short page', async () => {
    const slug = await t.createTenant('hammered');
    await loadTenant(slug, 200);
    const acknowledged = new Set(Array.from({ length: 200 }, (_, i) => `seed-${i}`));
    const failures: unknown[] = [];
    const shortPages: number[] = [];
    let running = true;
    // Operations that completed while a move was in progress: the test must really interleave.
    const duringMoves = { writes: 0, searches: 0 };
    let moving = false;

    const writer = async (id: number) => {
      for (let batch = 0; running || batch < 3; batch++) {
        const d = [0, 1, 2].map((i) => ({ externalId: `w${id}-${batch}-${i}`, content: `common words here w${id} ${batch}` }));
        const result = await t.as(slug)(UPSERT, { d });
        if (result.errors) failures.push(result.errors);
        else for (const doc of result.data!.upsertDocuments.documents) acknowledged.add(doc.externalId);
        if (moving) duringMoves.writes++;
      }
    };
    const reader = async () => {
      while (running) {
        const result = await t.as(slug)(SEARCH);
        if (result.errors) failures.push(result.errors);
        else if (result.data!.search.hits.length !== 10) shortPages.push(result.data!.search.hits.length);
        if (moving) duringMoves.searches++;
      }
    };
    const load = [writer(1), writer(2), reader(), reader()];
    moving = true;
    const promoted = await t.admin('mutation($s: String!) { promoteTenant(slug: $s) { placement documentCount } }', { s: slug });
    const demoted = await t.admin('mutation($s: String!) { demoteTenant(slug: $s) { placement } }', { s: slug });
    const again = await t.admin('mutation($s: String!) { promoteTenant(slug: $s) { placement } }', { s: slug });
    moving = false;
    running = false;
    await Promise.all(load);
    expect(duringMoves.writes).toBeGreaterThan(0);
    expect(duringMoves.searches).toBeGreaterThan(0);

    expect(promoted.data?.promoteTenant.placement).toBe('DEDICATED');
    expect(demoted.data?.demoteTenant.placement).toBe('SHARED');
    expect(again.data?.promoteTenant.placement).toBe('DEDICATED');
    expect(failures).toEqual([]);
    expect(shortPages).toEqual([]);
    const rows = await rowsByTable(slug);
    const ids = rows.map((r) => r.external_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(acknowledged);
    expect(new Set(rows.map((r) => r.table)).size).toBe(1);
    expect(withoutShardId(rows[0]!.table)).toMatch(/^documents_t\d+$/);
    if (onCitus) {
      // DEDICATED on Citus: a shard of its own, holding this tenant alone.
      const { rows: tenant } = await sql<{ id: number }>`select id from tenants where slug = ${slug}`.execute(t.db);
      const [shard] = (await tenantShardStatement(tenant[0]!.id).execute(t.db)).rows;
      expect(shard?.isolated).toBe(true);
    }
  });

  it('promotes automatically once a shared tenant passes the threshold', async () => {
    const auto = await startTestApp({ env: { PROMOTION_THRESHOLD: '120' } });
    try {
      const slug = await auto.createTenant('growing');
      const d = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ content: `doc ${from + i}` }));
      await auto.as(slug)(UPSERT, { d: d(0, 100) });
      await auto.app.deps.maintenance.idle();
      expect((await auto.as(slug)('{ tenant { placement } }')).data!.tenant.placement).toBe('SHARED');
      await auto.as(slug)(UPSERT, { d: d(100, 30) });
      await auto.app.deps.maintenance.idle();
      const tenant = (await auto.as(slug)('{ tenant { placement documentCount indexSizeBytes } }')).data!.tenant;
      expect(tenant).toMatchObject({ placement: 'DEDICATED', documentCount: 130 });
      expect(tenant.indexSizeBytes).toBeGreaterThan(0);
      expect(auto.unexpectedErrors).toEqual([]);
    } finally {
      await auto.close();
    }
  });
});

describe('tenant states', () => {
  it.each(['SHARED', 'DEDICATED'])('deactivates a %s tenant (TENANT_INACTIVE) and reactivates it intact', async (placement) => {
    const slug = await t.createTenant('sleepy', { placement });
    await loadTenant(slug, 30);
    const off = await t.admin('mutation($s: String!) { deactivateTenant(slug: $s) { state documentCount } }', { s: slug });
    expect(off.data?.deactivateTenant).toEqual({ state: 'INACTIVE', documentCount: 30 });
    expect(errorCode(await t.as(slug)(SEARCH))).toBe('TENANT_INACTIVE');
    expect(errorCode(await t.as(slug)(UPSERT, { d: [{ content: 'late write' }] }))).toBe('TENANT_INACTIVE');
    // Detached: the planner of other tenants' queries no longer sees the rows at all.
    expect(await rowsByTable(slug)).toEqual([]);
    const listed = await t.admin('{ tenants(state: INACTIVE) { slug } }');
    expect(listed.data!.tenants.map((x: { slug: string }) => x.slug)).toContain(slug);

    const on = await t.admin('mutation($s: String!) { activateTenant(slug: $s) { state placement } }', { s: slug });
    expect(on.data?.activateTenant).toEqual({ state: 'ACTIVE', placement });
    expect((await t.as(slug)(SEARCH)).data!.search.hits).toHaveLength(10);
    expect(await rowsByTable(slug)).toHaveLength(30);
  });

  it('deletes to a DELETED tombstone whose slug can be reused', async () => {
    const slug = await t.createTenant('gone');
    await loadTenant(slug, 5);
    await t.admin('mutation($s: String!) { deleteTenant(slug: $s) }', { s: slug });
    expect(await rowsByTable(slug)).toEqual([]);
    const deleted = await t.admin('{ tenants(state: DELETED) { slug state } }');
    expect(deleted.data!.tenants).toContainEqual({ slug, state: 'DELETED' });
    expect(errorCode(await t.as(slug)(SEARCH))).toBe('TENANT_NOT_FOUND');
    const reborn = await t.admin('mutation($s: String!) { createTenant(input: { slug: $s }) { documentCount state } }', { s: slug });
    expect(reborn.data?.createTenant).toEqual({ documentCount: 0, state: 'ACTIVE' });
  });

  it('keeps admin operations admin-only', async () => {
    const slug = await t.createTenant('guarded');
    for (const mutation of ['promoteTenant', 'demoteTenant', 'deactivateTenant', 'activateTenant']) {
      const result = await t.as(slug)(`mutation($s: String!) { ${mutation}(slug: $s) { state } }`, { s: slug });
      expect(errorCode(result)).toBe('UNAUTHENTICATED');
    }
    expect(errorCode(await t.as(slug)('{ tenants { slug } }'))).toBe('UNAUTHENTICATED');
  });
});
