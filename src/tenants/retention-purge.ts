import type { Database } from '../db/database.js';
import { deleteExpiredDocuments } from './expiry.repository.js';
import { findTenantById, listTenants, lockTenant } from './tenant.repository.js';
import { deleteUsageBefore } from './usage.repository.js';
import { usageWindowStart } from './usage.service.js';
import { shardOf, type TenantId } from './tenant.js';
import { toTenant } from './tenant-row.js';

export type RetentionPurge = {
  /** One pass now (tests; the timer runs the same): expired documents, then old usage rows. */
  runOnce(): Promise<{ documents: number; batches: number }>;
  /** Stops the timer and waits for a pass under way, which ends after its current batch. */
  stop(): Promise<void>;
};

/**
 * Deletes what has outlived its time, every intervalMs: documents past their expires_at (reads
 * already leave them out, see documents/document-expiry.sql.ts; this gives the space back), in
 * batches of batchSize, one short transaction each, and usage rows older than the usage window.
 * intervalMs 0: no timer (runOnce still works).
 */
export function startRetentionPurge(options: {
  database: Database;
  intervalMs: number;
  batchSize: number;
  onError: (error: unknown) => void;
}): RetentionPurge {
  const { database, batchSize } = options;
  let stopped = false;
  let running: Promise<{ documents: number; batches: number }> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const purgeTenant = async (tenantId: TenantId) => {
    let documents = 0;
    let batches = 0;
    while (!stopped) {
      const deleted = await database.transaction(async (trx) => {
        // Shared, like any writer: a promotion or demotion (exclusive) is not moving its rows now,
        // and the shard is read under the lock, so the batch deletes where the rows are.
        await lockTenant(trx, tenantId, 'shared');
        const row = await findTenantById(trx, tenantId);
        if (!row || row.state !== 'ACTIVE') return 0;
        return deleteExpiredDocuments(trx, shardOf(toTenant(row)), batchSize);
      });
      documents += deleted;
      batches += 1;
      if (deleted < batchSize) break;
    }
    return { documents, batches };
  };

  const pass = async () => {
    const totals = { documents: 0, batches: 0 };
    for (const tenant of await listTenants(database.db, 'ACTIVE')) {
      if (stopped) break;
      const done = await purgeTenant(tenant.id as TenantId);
      totals.documents += done.documents;
      totals.batches += done.batches;
    }
    if (!stopped) await deleteUsageBefore(database.db, usageWindowStart(new Date()));
    return totals;
  };

  const runOnce = () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = () => {
    if (stopped || options.intervalMs <= 0) return;
    timer = setTimeout(() => {
      runOnce()
        .catch(options.onError)
        .finally(schedule);
    }, options.intervalMs);
    // A pending purge never keeps the process alive.
    timer.unref();
  };
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
