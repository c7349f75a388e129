import type { Db } from '../db/database.js';
import { analyzeTenantPartition } from './tenant.repository.js';
import type { TenantId } from './tenant.js';

export type PartitionStatistics = {
  /** Records rows written to a tenant's partition; may schedule an ANALYZE in the background. */
  noteWrites(tenantId: TenantId, rows: number): void;
  /** Resolves when no ANALYZE is queued or running (tests, shutdown). */
  idle(): Promise<void>;
};

/**
 * Keeps the planner's statistics fresh after writes, with autovacuum's own threshold (50 rows +
 * 10% of the table). The embedded engine runs no autovacuum: without this, a freshly loaded
 * partition is estimated to hold a handful of rows and searches never use its HNSW index. On a
 * server with autovacuum it only brings the same ANALYZE forward. One ANALYZE runs at a time,
 * off the request path.
 */
export function createPartitionStatistics(db: Db, onError: (error: unknown) => void): PartitionStatistics {
  const writtenSinceAnalyze = new Map<TenantId, number>();
  const rowsAtAnalyze = new Map<TenantId, number>();
  const queue = new Set<TenantId>();
  let worker: Promise<void> | undefined;

  const drain = async () => {
    for (const tenantId of queue) {
      queue.delete(tenantId);
      const written = writtenSinceAnalyze.get(tenantId) ?? 0;
      writtenSinceAnalyze.delete(tenantId);
      try {
        await analyzeTenantPartition(db, tenantId);
        rowsAtAnalyze.set(tenantId, (rowsAtAnalyze.get(tenantId) ?? 0) + written);
      } catch (error) {
        onError(error);
      }
    }
    worker = undefined;
  };

  return {
    noteWrites(tenantId, rows) {
      const written = (writtenSinceAnalyze.get(tenantId) ?? 0) + rows;
      writtenSinceAnalyze.set(tenantId, written);
      if (written < 50 + 0.1 * (rowsAtAnalyze.get(tenantId) ?? 0)) return;
      queue.add(tenantId);
      worker ??= drain();
    },
    async idle() {
      while (worker) await worker;
    },
  };
}
