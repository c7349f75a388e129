import { isTransactionConflict } from '../db/postgres-errors.js';
import { toVectorParameter } from '../db/vector.js';
import { AppError, badUserInput } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import type { Tenant } from '../tenants/tenant.js';
import { inTenantSession } from '../tenants/tenant-session.js';
import { RECALL_TARGET_LIMITS, decideAdjustment, recallAtK, validRecallTarget } from './recall-estimate.js';
import type { RecallSample } from './recall-sampler.js';
import { type RecallRow, adjustTenantEfSearch, findTenantRecall, recordRecallSample, updateRecallTarget } from './recall.repository.js';
import { searchDocumentsExactly } from './search.repository.js';

export type RecallAdjustment = { at: Date; from: number; to: number; reason: string };

/** A tenant's recall as the server measures it (Tenant.recall). */
export type TenantRecall = {
  /** Rolling recall@k of sampled searches; null before the first sample. */
  estimate: number | null;
  /** Samples taken at efSearch (since it last changed). */
  samples: number;
  /** The ef_search the estimate is about. */
  efSearch: number | null;
  target: number | null;
  updatedAt: Date | null;
  lastAdjustment: RecallAdjustment | null;
};

type RecallDeps = Pick<ServiceDeps, 'database' | 'metric' | 'vectors' | 'tenantCache'> & {
  /** Told of every ef_search change the tuner makes. */
  onAdjust?: (tenant: Tenant, adjustment: RecallAdjustment) => void;
};

/**
 * Re-runs a sampled search exactly (every row of the tenant compared, no index) in the tenant's
 * session, folds its recall@k into the tenant's estimate and, with a target set, moves the
 * tenant's ef_search when the estimate says so. A sample whose writes lose to a concurrent
 * transaction (on Citus, tenants is a reference table: its writes lock every node, and a shard
 * split or a tenant created meanwhile can make a distributed deadlock) is dropped: it is one of many.
 */
export async function checkRecallSample(deps: RecallDeps, sample: RecallSample): Promise<void> {
  await checkSample(deps, sample).catch((error: unknown) => {
    if (!isTransactionConflict(error)) throw error;
  });
}

async function checkSample(deps: RecallDeps, sample: RecallSample): Promise<void> {
  const { tenant, k } = sample;
  const exact = await inTenantSession(deps.database, tenant, {
    run: async (session) => {
      // Demoted since: its searches are exact now, there is nothing to measure.
      if (session.tenant.placement !== 'DEDICATED') return undefined;
      const params = { vector: toVectorParameter([...sample.vector]), limit: k, metric: deps.metric, vectors: deps.vectors };
      return (await searchDocumentsExactly(session.db, session.shard, params)).rows;
    },
  }).catch((error: unknown) => {
    // Deleted or deactivated since the search: the sample is moot.
    if (error instanceof AppError && (error.code === 'TENANT_NOT_FOUND' || error.code === 'TENANT_INACTIVE')) return undefined;
    throw error;
  });
  if (!exact) return;
  const recall = recallAtK(sample.approximate, exact, k);
  const row = await recordRecallSample(deps.database.db, tenant.id, { recall, efSearch: sample.efSearch });
  // Undefined: ef_search moved since the search (the sample is about the old one).
  if (!row) return;
  const adjustment = decideAdjustment(
    { target: row.recall_target, estimate: row.recall_estimate, samples: row.recall_samples, efSearch: row.ef_search },
    sample,
  );
  if (!adjustment) return;
  const adjusted = await adjustTenantEfSearch(deps.database.db, tenant.id, adjustment);
  if (!adjusted) return;
  // This process's cached tenant would keep the old ef_search for TENANT_CACHE_TTL_MS; other
  // processes pick it up when their entry expires (their samples under the old one are dropped).
  deps.tenantCache?.forget(tenant.slug);
  const recorded = toAdjustment(adjusted.recall_adjustment);
  if (recorded) deps.onAdjust?.(tenant, recorded);
}

/** The tenant's recall estimate, target and last ef_search change; null when there is none of them. */
export async function findRecall(deps: Pick<ServiceDeps, 'database'>, tenant: Tenant): Promise<TenantRecall | null> {
  const row = await findTenantRecall(deps.database.db, tenant.id);
  return row ? toRecall(row) : null;
}

/** Admin: sets (or, with null, clears) the recall@k the server holds the tenant's ef_search to. */
export async function setRecallTarget(deps: Pick<ServiceDeps, 'database'>, tenant: Tenant, target: number | null): Promise<void> {
  if (!validRecallTarget(target)) {
    throw badUserInput('target', `must be from ${RECALL_TARGET_LIMITS.min} to ${RECALL_TARGET_LIMITS.max}, or null to clear it; got ${target}`);
  }
  await updateRecallTarget(deps.database.db, tenant.id, target);
}

function toRecall(row: RecallRow): TenantRecall | null {
  const lastAdjustment = toAdjustment(row.recall_adjustment);
  if (row.recall_estimate === null && row.recall_target === null && lastAdjustment === null) return null;
  return {
    estimate: row.recall_estimate,
    samples: row.recall_samples,
    efSearch: row.recall_ef_search,
    target: row.recall_target,
    updatedAt: row.recall_updated_at,
    lastAdjustment,
  };
}

function toAdjustment(value: Record<string, unknown> | null): RecallAdjustment | null {
  if (!value) return null;
  const { at, from, to, reason } = value;
  if (typeof at !== 'string' || typeof from !== 'number' || typeof to !== 'number' || typeof reason !== 'string') return null;
  return { at: new Date(at), from, to, reason };
}
