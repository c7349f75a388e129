import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { TenantId } from '../tenants/tenant.js';
import { RECALL_WINDOW } from './recall-estimate.js';

// Recall held per tenant: the columns of tenants migration 0020 added. Written by the server as
// the owner (outside a tenant session: narwhal_app may not touch tenants).

export type RecallRow = {
  recall_target: number | null;
  recall_estimate: number | null;
  recall_samples: number;
  recall_ef_search: number | null;
  recall_updated_at: Date | null;
  recall_adjustment: Record<string, unknown> | null;
  ef_search: number;
};

const RECALL_COLUMNS = [
  'recall_target',
  'recall_estimate',
  'recall_samples',
  'recall_ef_search',
  'recall_updated_at',
  'recall_adjustment',
  'ef_search',
] as const;

export async function findTenantRecall(db: Db, tenantId: TenantId): Promise<RecallRow | undefined> {
  return db.selectFrom('tenants').select(RECALL_COLUMNS).where('id', '=', tenantId).executeTakeFirst();
}

export async function updateRecallTarget(db: Db, tenantId: TenantId, target: number | null): Promise<void> {
  await db.updateTable('tenants').set({ recall_target: target }).where('id', '=', tenantId).execute();
}

/**
 * Folds one sample's recall into the tenant's estimate, in one statement so that server processes
 * sampling the same tenant do not lose each other's samples. The estimate is about the tenant's
 * ef_search: a sample taken under another one (before a change that raced it) is dropped
 * (undefined), and the first sample under a new one starts the estimate afresh. The first
 * RECALL_WINDOW samples are averaged, later ones weigh 1/RECALL_WINDOW.
 */
export async function recordRecallSample(
  db: Db,
  tenantId: TenantId,
  sample: { recall: number; efSearch: number },
): Promise<RecallRow | undefined> {
  const fresh = sql<boolean>`recall_ef_search is distinct from ef_search`;
  const weight = sql`least(recall_samples + 1, ${sql.lit(RECALL_WINDOW)})::float8`;
  return db
    .updateTable('tenants')
    .set({
      recall_estimate: sql<number>`case when ${fresh} or recall_estimate is null then ${sample.recall}::float8
        else recall_estimate + (${sample.recall}::float8 - recall_estimate) / ${weight} end`,
      recall_samples: sql<number>`case when ${fresh} then 1 else recall_samples + 1 end`,
      recall_ef_search: sql<number>`ef_search`,
      recall_updated_at: sql<Date>`now()`,
    })
    .where('id', '=', tenantId)
    .where('state', '=', 'ACTIVE')
    .where('ef_search', '=', sample.efSearch)
    .returning(RECALL_COLUMNS)
    .executeTakeFirst();
}

/**
 * Moves the tenant's ef_search from `from` to `to` unless someone moved it first (then
 * undefined), records why, and starts a new window: samples taken under `from` say nothing of `to`.
 * The estimate is kept, for display, until the first sample under `to` replaces it.
 */
export async function adjustTenantEfSearch(
  db: Db,
  tenantId: TenantId,
  adjustment: { from: number; to: number; reason: string },
): Promise<RecallRow | undefined> {
  const record = JSON.stringify({ at: new Date().toISOString(), ...adjustment });
  return db
    .updateTable('tenants')
    .set({
      ef_search: adjustment.to,
      recall_ef_search: adjustment.to,
      recall_samples: 0,
      recall_adjustment: sql<string>`${record}::jsonb`,
    })
    .where('id', '=', tenantId)
    .where('ef_search', '=', adjustment.from)
    .returning(RECALL_COLUMNS)
    .executeTakeFirst();
}
