import { sql } from 'kysely';
import { findTenantPlacement, queryOnWorker, shardObjectName } from '../db/citus-placement.js';
import type { Db } from '../db/database.js';
import { type TenantId, type TenantShard, SHARED_SHARD, partitionName } from './tenant.js';

export type UsageCounts = { searches: number; writes: number; embedding_tokens: number };
export type UsageIncrement = UsageCounts & { tenant_id: number; day: string };
export type UsageDayRow = UsageCounts & { day: string };

/**
 * Adds the increments to the stored counts (one row per tenant and day) in one plain multi-row
 * insert, which Citus routes to each tenant's shard. Rows of tenants no longer in `tenants` (a
 * tombstone removed when its slug was reused) are dropped first: a foreign key violation would
 * fail every later flush of the same counts.
 */
export async function addUsage(db: Db, increments: readonly UsageIncrement[]): Promise<void> {
  if (increments.length === 0) return;
  const ids = [...new Set(increments.map((row) => row.tenant_id))];
  const existing = new Set((await db.selectFrom('tenants').select('id').where('id', 'in', ids).execute()).map((row) => row.id));
  const rows = increments.filter((row) => existing.has(row.tenant_id));
  // 5 parameters a row: chunks keep a flush of many tenants under PostgreSQL's 65,535.
  for (let start = 0; start < rows.length; start += 1000) await insertUsageRows(db, rows.slice(start, start + 1000));
}

async function insertUsageRows(db: Db, rows: readonly UsageIncrement[]): Promise<void> {
  if (rows.length === 0) return;
  const values = sql.join(
    rows.map((row) => sql`(${row.tenant_id}::integer, ${row.day}::date, ${row.searches}::bigint, ${row.writes}::bigint, ${row.embedding_tokens}::bigint)`),
  );
  await sql`
    insert into tenant_usage_daily (tenant_id, day, searches, writes, embedding_tokens)
    values ${values}
    on conflict (tenant_id, day) do update set
      searches = tenant_usage_daily.searches + excluded.searches,
      writes = tenant_usage_daily.writes + excluded.writes,
      embedding_tokens = tenant_usage_daily.embedding_tokens + excluded.embedding_tokens`.execute(db);
}

/** The tenant's counts per day from `since` ('YYYY-MM-DD', UTC) on, oldest first. */
export async function findUsageSince(db: Db, tenantId: TenantId, since: string): Promise<UsageDayRow[]> {
  const rows = await db
    .selectFrom('tenant_usage_daily')
    .select([sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'), 'searches', 'writes', 'embedding_tokens'])
    .where('tenant_id', '=', tenantId)
    .where('day', '>=', since)
    .orderBy('day')
    .execute();
  return rows.map((row) => ({
    day: row.day,
    searches: Number(row.searches),
    writes: Number(row.writes),
    embedding_tokens: Number(row.embedding_tokens),
  }));
}

/** Deletes every tenant's rows from before `before` ('YYYY-MM-DD'). A date, not current_date: Citus sends it to every shard as it is. */
export async function deleteUsageBefore(db: Db, before: string): Promise<number> {
  const result = await db.deleteFrom('tenant_usage_daily').where('day', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export type StorageBytes = { table: number; indexes: number | null };

/**
 * What the tenant's documents take on disk. A DEDICATED tenant: its partition's table (heap and
 * TOAST) and all its indexes; on Citus measured on the worker holding its shard. A SHARED tenant
 * has no relation of its own: the sum of its rows' sizes (pg_column_size, a scan of its few
 * rows), and no index size (null): its rows share the pool's indexes.
 */
export async function findStorageBytes(db: Db, shard: TenantShard, distributed: boolean): Promise<StorageBytes> {
  if (shard.shard === SHARED_SHARD) {
    const { rows } = await sql<{ bytes: string | null }>`
      select sum(pg_column_size(d.*)) as bytes from documents d
       where d.shard = ${SHARED_SHARD} and d.tenant_id = ${shard.tenantId}`.execute(db);
    return { table: Number(rows[0]?.bytes ?? 0), indexes: null };
  }
  const name = partitionName(shard.tenantId);
  if (distributed) {
    const placement = await findTenantPlacement(db, name, shard.tenantId);
    if (!placement) return { table: 0, indexes: null };
    const table = shardObjectName(name, placement);
    const answer = await queryOnWorker(
      db,
      placement,
      `select pg_table_size(to_regclass('${table}')) || ' ' || pg_indexes_size(to_regclass('${table}'))`,
    );
    const [tableBytes = 0, indexBytes = 0] = (answer ?? '0 0').split(' ').map(Number);
    return { table: tableBytes, indexes: indexBytes };
  }
  const { rows } = await sql<{ table_bytes: string | null; index_bytes: string | null }>`
    select pg_table_size(to_regclass(${name})) as table_bytes, pg_indexes_size(to_regclass(${name})) as index_bytes`.execute(db);
  return { table: Number(rows[0]?.table_bytes ?? 0), indexes: Number(rows[0]?.index_bytes ?? 0) };
}
