import type { Database } from '../db/database.js';
import { isUndefinedTable } from '../db/postgres-errors.js';
import type { DistanceMetric } from '../db/vector.js';
import { AppError } from '../domain-errors.js';
import type { VectorLayout } from '../db/vector-storage.js';
import { createBackgroundQueue } from './background-queue.js';
import { analyzeTenantPartition, countTenantDocuments } from './partition.repository.js';
import { promoteTenantById } from './placement.service.js';
import { type Placement, SHARED_SHARD, type TenantId } from './tenant.js';

export type WriteEvent = { tenantId: TenantId; placement: Placement; rows: number };

export type BackgroundMaintenance = {
  /** Called after each committed write; schedules whatever maintenance it makes due. */
  afterWrite(event: WriteEvent): void;
  idle(): Promise<void>;
};

/**
 * Maintenance that follows writes, in the background (maintenance.service.ts holds what an
 * operator runs by hand: VACUUM, index rebuilds, prewarming):
 * - a DEDICATED partition is re-analyzed on autovacuum's own threshold (50 rows + 10%). The
 *   embedded engine runs no autovacuum, and without statistics the planner estimates a freshly
 *   loaded partition at a handful of rows and never uses its HNSW index;
 * - a SHARED tenant that passes the promotion threshold is moved to a dedicated partition.
 */
export function createBackgroundMaintenance(options: {
  database: Database;
  vectors: VectorLayout;
  /** Documents at which a shared tenant is promoted; 0 turns automatic promotion off. */
  promotionThreshold: number;
  onError: (error: unknown) => void;
}): BackgroundMaintenance {
  const { database, vectors, promotionThreshold, onError } = options;
  const writtenSinceAnalyze = new Map<TenantId, number>();
  const rowsAtAnalyze = new Map<TenantId, number>();

  const analyze = createBackgroundQueue(async (tenantId: TenantId) => {
    const written = writtenSinceAnalyze.get(tenantId) ?? 0;
    writtenSinceAnalyze.delete(tenantId);
    // The tenant may have been demoted, deactivated or deleted since: then there is nothing to do.
    await analyzeTenantPartition(database.db, tenantId).catch((error: unknown) => {
      if (!isUndefinedTable(error)) throw error;
    });
    rowsAtAnalyze.set(tenantId, (rowsAtAnalyze.get(tenantId) ?? 0) + written);
  }, onError);

  const promote = createBackgroundQueue(async (tenantId: TenantId) => {
    const rows = await countTenantDocuments(database.db, { tenantId, shard: SHARED_SHARD });
    if (rows < promotionThreshold) return;
    await promoteTenantById({ database, vectors }, tenantId).catch((error: unknown) => {
      // Deactivated or deleted since the write: it stays where it is.
      if (!(error instanceof AppError && ['FAILED_PRECONDITION', 'TENANT_NOT_FOUND'].includes(error.code))) throw error;
    });
  }, onError);

  return {
    afterWrite({ tenantId, placement, rows }) {
      if (placement === 'SHARED') {
        if (promotionThreshold > 0) promote.enqueue(tenantId);
        return;
      }
      const written = (writtenSinceAnalyze.get(tenantId) ?? 0) + rows;
      writtenSinceAnalyze.set(tenantId, written);
      if (written >= 50 + 0.1 * (rowsAtAnalyze.get(tenantId) ?? 0)) analyze.enqueue(tenantId);
    },
    async idle() {
      await promote.idle();
      await analyze.idle();
    },
  };
}
