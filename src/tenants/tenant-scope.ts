import type { Compilable } from 'kysely';
import { useSequentialShardAccess } from '../db/citus.js';
import { type Db, canPipeline, executePipelined, isCitusCoordinator, withTransaction } from '../db/database.js';
import { requestStatementTimeoutSetting } from '../db/statement-timeout.js';
import { AppError } from '../domain-errors.js';
import { findTenantById, lockTenant, openTenantScope, openTenantScopeStatement, type TenantRow } from './tenant.repository.js';
import { type Placement, type Tenant, type TenantId, type TenantShard, type TenantState, shardOf } from './tenant.js';

/**
 * Runs fn in a transaction that holds the tenant's lock shared and sees where its rows are now.
 * The tenant a request resolved may have been promoted, demoted or deactivated since; re-reading
 * it under the lock means a request always works against one consistent placement.
 * Every tenant request's transaction starts here, so this is where it leaves the owner role: fn
 * runs as narwhal_app, which row-level security holds to this tenant's rows (migration 0010)
 * even if a query forgot its tenant filter. The switch lasts until the transaction ends: inside a
 * caller's transaction, do nothing after fn that needs the owner (DDL, other tenants' rows).
 */
export async function withTenantScope<T>(
  db: Db,
  tenantId: TenantId,
  fn: (trx: Db, shard: TenantShard, tenant: Tenant) => Promise<T>,
  /** More transaction-local settings for fn's statements (e.g. hnsw.ef_search), set in the same round trip. */
  settings: Readonly<Record<string, string>> = {},
): Promise<T> {
  return withTransaction(db, async (trx) => {
    // The statement timeout comes first: waiting for the lock counts too.
    const tenant = activeTenant(await openTenantScope(trx, tenantId, { ...requestStatementTimeoutSetting(db), ...settings }));
    return fn(trx, shardOf(tenant), tenant);
  });
}

/**
 * One query in the tenant's scope in one round trip, outside any transaction: the scope's
 * statement (settings, shared lock, re-read, role switch) and the query are pipelined in one
 * implicit transaction (src/db/pipeline.ts), where withTenantScope takes four round trips
 * (begin, scope, query, commit). The query is built for the placement the caller knows (a cached
 * tenant): if the re-read under the lock shows the tenant has moved since, it is built and run
 * again for where the tenant is now. (A query built for an old placement reads nothing: every
 * query names the tenant's shard and id.) Where statements cannot be pipelined (a Citus
 * coordinator), the same runs in a transaction (withTenantScope).
 */
export async function queryInTenantScope<R>(
  db: Db,
  known: Tenant,
  build: (scope: TenantShard, tenant: Tenant) => Compilable<R>,
  settings: Readonly<Record<string, string>> = {},
  /** prepare: false sends the statements unnamed (see executePipelined). */
  pipeline: { prepare?: boolean } = {},
): Promise<{ rows: R[]; tenant: Tenant }> {
  if (!canPipeline(db)) {
    return withTenantScope(db, known.id, async (trx, scope, tenant) => ({ rows: (await trx.executeQuery(build(scope, tenant).compile())).rows, tenant }), settings);
  }
  const scopeStatement = openTenantScopeStatement(known.id, { ...requestStatementTimeoutSetting(db), ...settings }).compile(db);
  let assumed = known;
  for (;;) {
    const [scopeRows, rows] = await executePipelined(db, [scopeStatement, build(shardOf(assumed), assumed).compile()], pipeline);
    const tenant = activeTenant(scopeRows?.[0] as TenantRow | undefined);
    if (tenant.placement === assumed.placement) return { rows: rows as R[], tenant };
    assumed = tenant;
  }
}

/**
 * Runs fn holding the tenant's lock exclusively: for moving its rows. Waits for in-flight requests.
 * Stays the owner role with no tenant set: moving rows and DDL need it (row-level security lets
 * the owner through only while no tenant is set).
 */
export async function withTenantExclusive<T>(db: Db, tenantId: TenantId, fn: (trx: Db, tenant: Tenant) => Promise<T>) {
  const citus = isCitusCoordinator(db);
  return withTransaction(db, async (trx) => {
    if (citus) await useSequentialShardAccess(trx);
    await lockTenant(trx, tenantId, 'exclusive');
    const tenant = await currentTenant(trx, tenantId);
    if (tenant.state === 'DELETED') throw new AppError('TENANT_NOT_FOUND', `Tenant "${tenant.slug}" was deleted`);
    return fn(trx, tenant);
  });
}

/** The tenant of a row just read, if it is still there and active; TENANT_NOT_FOUND or TENANT_INACTIVE otherwise. */
export function activeTenant(row: TenantRow | undefined): Tenant {
  if (!row) throw new AppError('TENANT_NOT_FOUND', 'The tenant no longer exists');
  const tenant = toTenant(row);
  assertActive(tenant);
  return tenant;
}

export function assertActive(tenant: Tenant): void {
  if (tenant.state === 'DELETED') throw new AppError('TENANT_NOT_FOUND', `No tenant with slug "${tenant.slug}"`);
  if (tenant.state === 'INACTIVE') {
    throw new AppError('TENANT_INACTIVE', `Tenant "${tenant.slug}" is inactive; an admin can reactivate it`);
  }
}

async function currentTenant(db: Db, tenantId: TenantId): Promise<Tenant> {
  const row = await findTenantById(db, tenantId);
  if (!row) throw new AppError('TENANT_NOT_FOUND', 'The tenant no longer exists');
  return toTenant(row);
}

export function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id as TenantId,
    slug: row.slug,
    name: row.name,
    hnsw: { m: row.hnsw_m, efConstruction: row.hnsw_ef_construction },
    efSearch: row.ef_search,
    placement: row.placement as Placement,
    state: row.state as TenantState,
    createdAt: row.created_at,
  };
}
