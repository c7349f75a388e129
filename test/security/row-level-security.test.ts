import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { insertBareDocument } from '../../src/tenants/row-security.repository.js';
import { findRowSecurityProblems } from '../../src/tenants/row-security.service.js';
import { enterTenantSession } from '../../src/tenants/tenant-session.repository.js';
import { findTenantBySlug } from '../../src/tenants/tenant.service.js';
import type { Tenant } from '../../src/tenants/tenant.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';
import { onCitus } from '../helpers/test-database.js';

// Row-level security as the second wall: with a tenant session open (what inTenantSession does),
// SQL that forgets the tenant filter still reaches only that tenant's rows.
let t: TestApp;
let shared: Tenant;
let dedicated: Tenant;

class Rollback extends Error {}

/** Runs fn in a transaction that is always rolled back. */
async function rolledBack(fn: (trx: Db) => Promise<void>): Promise<void> {
  await t.db
    .transaction()
    .execute(async (trx) => {
      await fn(trx);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
}

async function sqlState(promise: Promise<unknown>): Promise<{ code?: string; message?: string } | undefined> {
  return promise.then(
    () => undefined,
    (error: { code?: string; message?: string }) => error,
  );
}

const tenantIds = async (db: Kysely<any>, where = sql`true`) =>
  (await sql<{ tenant_id: number }>`select distinct tenant_id from documents where ${where} order by 1`.execute(db)).rows.map((r) => r.tenant_id);

beforeAll(async () => {
  t = await startTestApp();
  const slugs = [await t.createTenant('rls-shared'), await t.createTenant('rls-dedicated', { placement: 'DEDICATED' })];
  for (const slug of slugs) {
    const result = await t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', {
      d: ['a', 'b'].map((k) => ({ externalId: k, content: `${slug} ${k}` })),
    });
    expect(result.errors).toBeUndefined();
  }
  shared = (await findTenantBySlug(t.app.deps, slugs[0]!))!;
  dedicated = (await findTenantBySlug(t.app.deps, slugs[1]!))!;
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe('row-level security', () => {
  it('finds nothing wrong at startup on this engine', async () => {
    expect(await findRowSecurityProblems(t.database)).toEqual([]);
  });

  it("hides another tenant's rows from SQL that forgets the tenant filter", async () => {
    expect(await tenantIds(t.db)).toEqual(expect.arrayContaining([shared.id, dedicated.id]));
    await rolledBack(async (trx) => {
      await enterTenantSession(trx, shared.id);
      expect(await tenantIds(trx)).toEqual([shared.id]);
      expect(await tenantIds(trx, sql`tenant_id = ${dedicated.id}`)).toEqual([]);
      expect(await tenantIds(trx, sql`shard = ${dedicated.id}`)).toEqual([]);
      const updated = await sql`update documents set content = 'hijacked' where tenant_id = ${dedicated.id}`.execute(trx);
      const deleted = await sql`delete from documents where tenant_id <> ${shared.id}`.execute(trx);
      expect([updated.numAffectedRows, deleted.numAffectedRows]).toEqual([0n, 0n]);
    });
    expect(await tenantIds(t.db, sql`tenant_id = ${dedicated.id} and content <> 'hijacked'`)).toEqual([dedicated.id]);
  });

  it("refuses to write a row for another tenant (WITH CHECK), by insert or by update", async () => {
    await rolledBack(async (trx) => {
      await enterTenantSession(trx, shared.id);
      await sql`savepoint probe`.execute(trx);
      const inserted = await sqlState(
        sql`insert into documents (tenant_id, shard, external_id, content, embedding, embedding_model, content_hash)
            select ${dedicated.id}, ${dedicated.id}, 'smuggled', content, embedding, embedding_model, content_hash
              from documents limit 1`.execute(trx),
      );
      // Citus sends INSERT ... SELECT to the shards as COPY, which it refuses outright under
      // row-level security; either way nothing is written.
      expect(inserted).toMatchObject({ code: onCitus ? '0A000' : '42501', message: expect.stringMatching(/row-level security/) });
      await sql`rollback to savepoint probe`.execute(trx);
      const bare = await sqlState(insertBareDocument(trx, dedicated.id));
      expect(bare).toMatchObject({ code: '42501', message: expect.stringMatching(/row-level security/) });
      await sql`rollback to savepoint probe`.execute(trx);
      const moved = await sqlState(sql`update documents set tenant_id = ${dedicated.id}`.execute(trx));
      // Citus refuses to change a row's distribution column at all.
      if (onCitus) expect(moved).toMatchObject({ code: '0A000', message: expect.stringMatching(/partition value/) });
      else expect(moved).toMatchObject({ code: '42501', message: expect.stringMatching(/row-level security/) });
    });
  });

  it("reaches partitions only under their own row-level security, and never tenants", async () => {
    const { rows: textsearch } = await sql`select 1 from pg_extension where extname = 'pg_textsearch'`.execute(t.db);
    const partition = sql.table(`documents_t${dedicated.id}`);
    await rolledBack(async (trx) => {
      await enterTenantSession(trx, shared.id);
      // pg_textsearch checks `content` on the partition itself (migration 0011 grants just that).
      const direct = sql<{ content: string }>`select content from ${partition}`.execute(trx);
      if (textsearch.length > 0) expect((await direct).rows).toEqual([]);
      else expect(await sqlState(direct)).toMatchObject({ code: '42501' });
    });
    for (const statement of [sql`select tenant_id from ${partition}`, sql`select count(*) from tenants`]) {
      await rolledBack(async (trx) => {
        await enterTenantSession(trx, shared.id);
        expect(await sqlState(statement.execute(trx))).toMatchObject({ code: '42501', message: expect.stringMatching(/permission denied/) });
      });
    }
  });

  it('leaves no role or tenant behind once the transaction ends', async () => {
    await t.as(shared.slug)('{ documents(first: 1) { edges { node { id } } } }');
    const { rows } = await sql<{ role: string; tenant: string | null }>`
      select current_user as role, current_setting('narwhal.tenant_id', true) as tenant`.execute(t.db);
    expect(rows[0]!.role).not.toBe('narwhal_app');
    expect(rows[0]!.tenant ?? '').toBe('');
    expect(await tenantIds(t.db)).toEqual(expect.arrayContaining([shared.id, dedicated.id]));
  });

  it('secures every partition, including those made later by createTenant and promotion', async () => {
    const promoted = await t.createTenant('rls-promoted');
    await t.admin('mutation($s: String!) { promoteTenant(slug: $s) { placement } }', { s: promoted });
    const id = (await findTenantBySlug(t.app.deps, promoted))!.id;
    const { rows } = await sql<{ name: string; enabled: boolean; forced: boolean; policies: number }>`
      select c.relname as name, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
             (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
        from pg_partition_tree('documents') tree join pg_class c on c.oid = tree.relid`.execute(t.db);
    const sharedPool = onCitus ? 'documents_shared' : 'documents_shared_b0';
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(['documents', sharedPool, `documents_t${dedicated.id}`, `documents_t${id}`]));
    for (const row of rows) expect(row).toMatchObject({ enabled: true, forced: true, policies: 2 });
  });
});

// Not on Citus (docs/citus.md): a role made in a transaction reaches the workers only when it
// commits, and this one never does; Citus would connect to the workers as it.
describe.skipIf(onCitus)('row-level security for an owner that is not a superuser', () => {
  // The embedded engine connects as a superuser, whom row-level security never holds. FORCE is
  // for owners that are not: a role made here owns documents for one rolled-back transaction.
  it('gives the owner every row while no tenant is set, and only that tenant once one is', async () => {
    await rolledBack(async (trx) => {
      await sql`create role narwhal_owner_probe nologin`.execute(trx);
      await sql`grant narwhal_app to narwhal_owner_probe`.execute(trx);
      await sql`alter table documents owner to narwhal_owner_probe`.execute(trx);
      await sql`set local session authorization narwhal_owner_probe`.execute(trx);
      // As the new owner, as the server does for the tables it creates.
      await sql`select narwhal_secure_documents_table('documents')`.execute(trx);
      expect(await tenantIds(trx)).toEqual(expect.arrayContaining([shared.id, dedicated.id]));
      await sql`select set_config('narwhal.tenant_id', ${String(dedicated.id)}, true)`.execute(trx);
      expect(await tenantIds(trx)).toEqual([dedicated.id]);
      await enterTenantSession(trx, shared.id);
      const { rows } = await sql<{ role: string }>`select current_user as role`.execute(trx);
      expect(rows[0]!.role).toBe('narwhal_app');
      expect(await tenantIds(trx)).toEqual([shared.id]);
    });
  });
});
