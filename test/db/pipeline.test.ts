import { type CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREPARED_STATEMENTS_PER_CONNECTION } from '../../src/db/prepared-statements.js';
import { toVectorParameter } from '../../src/db/vector.js';
import { runVectorSearchInOneRoundTrip } from '../../src/search/search-strategy.js';
import { promoteTenantById } from '../../src/tenants/placement.service.js';
import { inTenantSession } from '../../src/tenants/tenant-session.js';
import { findTenantBySlug } from '../../src/tenants/tenant.service.js';
import type { Tenant, TenantShard } from '../../src/tenants/tenant.js';
import type { Compilable } from 'kysely';
import { type TestApp, startTestApp } from '../helpers/test-app.js';
import { onCitus } from '../helpers/test-database.js';

// Statements pipelined in one round trip (src/db/pipeline.ts) and the tenant session built on them.
let t: TestApp;
let mine: Tenant;
let theirs: Tenant;

const UPSERT = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }';

beforeAll(async () => {
  // One connection, so what a test reads of the session (its prepared statements) is the pipelines' own.
  t = await startTestApp({ env: { DATABASE_POOL_SIZE: '1' } });
  const slugs = [await t.createTenant('pipe-mine'), await t.createTenant('pipe-theirs')];
  for (const slug of slugs) {
    const result = await t.as(slug)(UPSERT, { d: ['a', 'b', 'c'].map((k) => ({ externalId: k, content: `${slug} ${k}` })) });
    expect(result.errors).toBeUndefined();
  }
  mine = (await findTenantBySlug(t.app.deps, slugs[0]!))!;
  theirs = (await findTenantBySlug(t.app.deps, slugs[1]!))!;
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe('executePipelined', () => {
  it("returns each statement's rows, binds parameters as Kysely does, and keeps transaction-local settings to itself", async () => {
    const [set, read, vector] = await t.database.executePipelined([
      sql`select set_config('narwhal.pipeline_probe', ${'on'}, true) as value`.compile(t.db),
      sql`select current_setting('narwhal.pipeline_probe') as value, ${[1, 2]}::int[] as list`.compile(t.db),
      sql`select ${toVectorParameter([0.5, -2])}::vector::text as vector`.compile(t.db),
    ]);
    expect(set).toEqual([{ value: 'on' }]);
    expect(read).toEqual([{ value: 'on', list: [1, 2] }]);
    expect(vector).toEqual([{ vector: '[0.5,-2]' }]);
    // One implicit transaction: the setting ended with it.
    const { rows } = await sql<{ value: string | null }>`select current_setting('narwhal.pipeline_probe', true) as value`.execute(t.db);
    expect(rows[0]?.value ?? '').toBe('');
  });

  it('writes nothing when a later statement fails, and leaves the connection usable', async () => {
    await sql`create table if not exists pipeline_probe (id integer primary key)`.execute(t.db);
    const failed = t.database.executePipelined([
      sql`insert into pipeline_probe values (1)`.compile(t.db),
      sql`select 1 / 0`.compile(t.db),
    ]);
    await expect(failed).rejects.toMatchObject({ code: '22012' });
    const { rows } = await sql<{ count: string }>`select count(*) from pipeline_probe`.execute(t.db);
    expect(Number(rows[0]?.count)).toBe(0);
    await sql`drop table pipeline_probe`.execute(t.db);
  });

});

describe('a tenant session with one statement', () => {
  const allTenantIds = (db = t.db) => db.selectFrom('documents').select('tenant_id').distinct();
  const queryInTenantSession = <R>(known: Tenant, build: (shard: TenantShard) => Compilable<R>) =>
    inTenantSession(t.database, known, { statement: { build, read: (rows: R[], tenant: Tenant) => ({ rows, tenant }) } });

  it("holds a query that forgets the tenant filter to the tenant's rows (row-level security)", async () => {
    expect((await allTenantIds().execute()).map((row) => row.tenant_id)).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    if (onCitus) {
      // Citus would send it to every shard: a tenant session refuses that outright (migration 0015).
      await expect(queryInTenantSession(mine, () => allTenantIds())).rejects.toThrow(/multi-task query/);
      return;
    }
    const { rows, tenant } = await queryInTenantSession(mine, () => allTenantIds());
    expect(rows.map((row) => row.tenant_id)).toEqual([mine.id]);
    expect(tenant.id).toBe(mine.id);
  });

  it('runs the query again for the placement the tenant has now when the known one is stale', async () => {
    const stale = { ...mine };
    await promoteTenantById(t.app.deps, mine.id);
    const shards: number[] = [];
    const { rows, tenant } = await queryInTenantSession(stale, (shard) => {
      shards.push(shard.shard);
      return t.db.selectFrom('documents').select('external_id').where('shard', '=', shard.shard).where('tenant_id', '=', shard.tenantId).orderBy('external_id');
    });
    expect(tenant.placement).toBe('DEDICATED');
    // On Citus the session is a transaction that reads the tenant under its lock before building
    // the query, so it is built once, for where the tenant is now.
    expect(shards).toEqual(onCitus ? [mine.id] : [0, mine.id]);
    expect(rows.map((row) => row.external_id)).toEqual(['a', 'b', 'c']);
  });

  it('refuses a tenant that no longer exists', async () => {
    await expect(queryInTenantSession({ ...mine, id: 987_654 as Tenant['id'] }, () => allTenantIds())).rejects.toMatchObject({
      code: 'TENANT_NOT_FOUND',
    });
  });
});

describe('prepared statements', () => {
  const preparedAs = async (text: string) =>
    (
      await sql<{ name: string; generic_plans: string; custom_plans: string }>`
        select name, generic_plans, custom_plans from pg_prepared_statements where statement = ${text}`.execute(t.db)
    ).rows;

  it('prepares a pipelined statement once per connection and binds it by name after', async () => {
    const statement = sql`select ${'once'}::text as prepared`.compile(t.db);
    for (let run = 0; run < 3; run++) expect(await t.database.executePipelined([statement])).toEqual([[{ prepared: 'once' }]]);
    expect(await preparedAs(statement.sql)).toHaveLength(1);
  });

  it('after a failed pipeline, prepares again what it may or may not have parsed, keeping one of each', async () => {
    // The first statement was parsed before the error; the last was skipped, never parsed.
    const [before, after] = ['before', 'after'].map((label) => sql`select ${label}::text as ${sql.ref(label)}`.compile(t.db)) as [CompiledQuery, CompiledQuery];
    const failing = t.database.executePipelined([before, sql`select 1 / 0`.compile(t.db), after]);
    await expect(failing).rejects.toMatchObject({ code: '22012' });
    expect(await t.database.executePipelined([before, after])).toEqual([[{ before: 'before' }], [{ after: 'after' }]]);
    expect(await preparedAs(before.sql)).toHaveLength(1);
    expect(await preparedAs(after.sql)).toHaveLength(1);
  });

  it(`keeps at most ${PREPARED_STATEMENTS_PER_CONNECTION} statements prepared on a connection`, async () => {
    for (let n = 0; n < PREPARED_STATEMENTS_PER_CONNECTION + 5; n++) {
      await t.database.executePipelined([sql`select ${n}::int as n, ${sql.lit(n)} as distinct_text`.compile(t.db)]);
    }
    // The embedded engine gives each client's statements names of its own (`<client>:narwhal_1`).
    const { rows } = await sql<{ count: string }>`select count(*) from pg_prepared_statements where name like '%narwhal_%'`.execute(t.db);
    expect(Number(rows[0]?.count)).toBeLessThanOrEqual(PREPARED_STATEMENTS_PER_CONNECTION);
    expect(Number(rows[0]?.count)).toBeGreaterThan(PREPARED_STATEMENTS_PER_CONNECTION - 10);
  });

  // Not on Citus: searches are not pipelined there (Database.canPipeline), so nothing is prepared.
  it.skipIf(onCitus)("plans each tenant's one-round-trip search once, as a statement of its own shard, and keeps tenants apart", async () => {
    const tenants = [(await findTenantBySlug(t.app.deps, mine.slug))!, (await findTenantBySlug(t.app.deps, theirs.slug))!];
    expect(tenants.map((tenant) => tenant.placement).sort()).toEqual(['DEDICATED', 'SHARED']);
    for (const tenant of tenants) {
      const { rows } = await sql<{ vector: string }>`select embedding::text as vector from documents where tenant_id = ${tenant.id} limit 1`.execute(t.db);
      const params = { vector: rows[0]!.vector, limit: 3, metric: t.app.deps.metric };
      const plan = { efSearch: 40, iterativeScan: false, preset: true };
      for (let run = 0; run < 3; run++) {
        const found = await runVectorSearchInOneRoundTrip(t.database, tenant, params, plan);
        expect(found?.rows.map((row) => row.tenant_id)).toEqual([tenant.id, tenant.id, tenant.id]);
      }
      const { rows: prepared } = await sql<{ statement: string; generic_plans: string; custom_plans: string }>`
        select statement, generic_plans, custom_plans from pg_prepared_statements where statement like '%embedding <=>%'`.execute(t.db);
      const searches = prepared.filter((row) => new RegExp(`"tenant_id" = ${tenant.id}\\b`).test(row.statement));
      expect(searches).toHaveLength(1);
      expect(searches[0]?.statement).toContain(`"shard" = ${tenant.placement === 'SHARED' ? 0 : tenant.id}`);
      expect(Number(searches[0]?.generic_plans)).toBe(3);
      expect(Number(searches[0]?.custom_plans)).toBe(0);
    }
  });
});
