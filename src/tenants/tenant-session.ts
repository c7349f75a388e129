import type { StatementShape } from '../db/compiled-statements.js';
import type { Database, Db, Statement } from '../db/database.js';
import { AppError } from '../domain-errors.js';
import { type Tenant, type TenantShard, shardOf } from './tenant.js';
import { findTenantById, lockTenant, type TenantRow } from './tenant.repository.js';
import { activeTenant, toTenant } from './tenant-row.js';
import { openTenantSessionStatement } from './tenant-session.repository.js';

/**
 * A tenant session: a transaction that holds the tenant's lock shared, sees where its rows are now,
 * and runs as narwhal_app, which row-level security holds to this tenant's rows (migration 0010)
 * even if a query forgot its tenant filter. The tenant a request resolved may have been promoted,
 * demoted or deactivated since; re-reading it under the lock means a request always works against
 * one consistent placement (shard).
 */
export type TenantSession = {
  /** The session's transaction: what repositories take. */
  db: Db;
  shard: TenantShard;
  tenant: Tenant;
  /** More transaction-local settings, applied the way the engine needs. */
  setLocal(settings: Readonly<Record<string, string>>): Promise<void>;
};

/** A statement that may answer a session's work alone (see TenantSessionPlan.statement). */
export type SessionStatement<T, R> = {
  /** Built for the tenant's shard; built again if the tenant turns out to have moved. */
  build: (shard: TenantShard, tenant: Tenant) => Statement<R>;
  /** The answer from its rows, or undefined when the plan's run must answer instead. */
  read: (rows: R[], tenant: Tenant) => T | undefined;
  /** Settings only for the pipelined statement (planning choices that matter only when it is prepared). */
  pipelinedSettings?: Readonly<Record<string, string>>;
  /**
   * What the built statement is, when its text depends only on the shard, the tenant and values
   * fixed per shape: then it is compiled once per shape (db/compiled-statements.ts), not per run.
   */
  shape?: (shard: TenantShard, tenant: Tenant) => StatementShape;
  /** false sends it unnamed, parsed and planned at each run (bench/search/search.ts measures what preparing saves). */
  prepare?: boolean;
};

/** What a session is to do: settings to open with, and its work as one statement, a transaction, or both. */
export type TenantSessionPlan<T, R = never> = {
  /** Transaction-local settings for the session's statements (e.g. hnsw.ef_search), set as it opens. */
  settings?: Readonly<Record<string, string>>;
  /** One statement that may answer alone: then the session and it take one round trip. */
  statement?: SessionStatement<T, R>;
  /** The work in the session's transaction. */
  run?: (session: TenantSession) => Promise<T>;
};

/**
 * The only way into tenant-scoped SQL. Opens the tenant's session with the plan's settings (and
 * the database's statement timeout, first: waiting for the lock counts too) and does its work:
 * - with a statement, where the engine can pipeline: the session's opening and the statement in
 *   one round trip and one implicit transaction (src/db/pipeline.ts), where a transaction takes
 *   four (begin, open, query, commit). The statement is built for the placement the caller knows
 *   (a cached tenant): if the re-read under the lock shows the tenant has moved since, it is
 *   built and run again for where the tenant is now (a query built for an old placement reads
 *   nothing: every query names the tenant's shard and id). If read finds the rows do not answer,
 *   run does, in a transaction;
 * - otherwise run, in a transaction (without run, the statement, in a transaction). On Citus the
 *   session's SET LOCAL statements reach the workers only from inside a transaction block.
 */
export async function inTenantSession<T, R = never>(database: Database, tenant: Tenant, plan: TenantSessionPlan<T, R>): Promise<T> {
  const settings = { ...database.sessionSettings(), ...plan.settings };
  const { statement, run } = plan;
  if (statement && database.canPipeline) {
    const answer = await pipelined(database, tenant, statement, settings);
    if (answer !== undefined || !run) return answer as T;
  }
  const work = run ?? (statement && runStatement(statement));
  if (!work) throw new Error('a tenant session plan needs a statement or run');
  return database.transaction(async (trx) => {
    const current = activeTenant((await openTenantSessionStatement(tenant.id, settings).execute(trx)).rows[0]);
    const setLocal = (more: Readonly<Record<string, string>>) => database.setLocal(trx, more);
    return work({ db: trx, shard: shardOf(current), tenant: current, setLocal });
  });
}

function runStatement<T, R>(statement: SessionStatement<T, R>) {
  return async (session: TenantSession): Promise<T> => {
    const { rows } = await session.db.executeQuery(statement.build(session.shard, session.tenant).compile());
    return statement.read(rows, session.tenant) as T;
  };
}

async function pipelined<T, R>(
  database: Database,
  known: Tenant,
  statement: SessionStatement<T, R>,
  settings: Readonly<Record<string, string>>,
): Promise<T | undefined> {
  const openingSettings = { ...settings, ...statement.pipelinedSettings };
  const opening = database.compiledStatements.compile({ key: `open-tenant-session ${known.id} ${JSON.stringify(openingSettings)}`, bound: undefined }, () =>
    openTenantSessionStatement(known.id, openingSettings).compile(database.db),
  );
  const compile = (tenant: Tenant) => {
    const shard = shardOf(tenant);
    const build = () => statement.build(shard, tenant).compile();
    return statement.shape ? database.compiledStatements.compile(statement.shape(shard, tenant), build) : build();
  };
  const options = statement.prepare === undefined ? {} : { prepare: statement.prepare };
  let assumed = known;
  for (;;) {
    const [openingRows, rows] = await database.executePipelined([opening, compile(assumed)], options);
    const tenant = activeTenant(openingRows?.[0] as TenantRow | undefined);
    if (tenant.placement === assumed.placement) return statement.read(rows as R[], tenant);
    assumed = tenant;
  }
}

/**
 * Runs fn holding the tenant's lock exclusively: for moving its rows. Waits for in-flight sessions.
 * Not a tenant session: it stays the owner role with no tenant set, which moving rows and DDL need
 * (row-level security lets the owner through only while no tenant is set).
 */
export async function withTenantExclusive<T>(database: Database, tenantId: Tenant['id'], fn: (trx: Db, tenant: Tenant) => Promise<T>) {
  return database.transaction(async (trx) => {
    await database.prepareForRowMoves(trx);
    await lockTenant(trx, tenantId, 'exclusive');
    const row = await findTenantById(trx, tenantId);
    if (!row) throw new AppError('TENANT_NOT_FOUND', 'The tenant no longer exists');
    const tenant = toTenant(row);
    if (tenant.state === 'DELETED') throw new AppError('TENANT_NOT_FOUND', `Tenant "${tenant.slug}" was deleted`);
    return fn(trx, tenant);
  });
}
