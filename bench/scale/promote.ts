import { sql } from 'kysely';
import { performance } from 'node:perf_hooks';
import type { Db } from '../../src/db/database.js';
import type { ServiceDeps } from '../../src/service-deps.js';
import { promoteTenantById } from '../../src/tenants/placement.service.js';
import type { Tenant } from '../../src/tenants/tenant.js';

export type Promotion = { tenant: Tenant; seconds: number; indexBuildSeconds: number | null };

const POLL_MS = 200;

/**
 * Promotes a SHARED tenant through the placement service (what the promoteTenant mutation and
 * the automatic promotion run): copy its rows into its own partition, build the HNSW index once
 * over all of them, attach. The index build's share is read from pg_stat_progress_create_index,
 * polled on another connection while the promotion runs (to within POLL_MS); null where no build
 * shows there. On Citus it shows only what the coordinator itself builds, not a worker's build.
 */
export async function promoteWithBuildTime(deps: ServiceDeps, tenant: Tenant): Promise<Promotion> {
  let firstSeen: number | undefined;
  let lastSeen: number | undefined;
  let polling = true;
  const poll = (async () => {
    while (polling) {
      if (await indexBuildRunning(deps.database.db)) {
        const now = performance.now();
        firstSeen ??= now;
        lastSeen = now;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  const started = performance.now();
  try {
    deps.tenantCache?.forget(tenant.slug);
    const promoted = await promoteTenantById(deps, tenant.id);
    deps.tenantCache?.forget(tenant.slug);
    const seconds = (performance.now() - started) / 1000;
    const indexBuildSeconds = firstSeen !== undefined && lastSeen !== undefined ? (lastSeen - firstSeen + POLL_MS) / 1000 : null;
    return { tenant: promoted, seconds, indexBuildSeconds };
  } finally {
    polling = false;
    await poll;
  }
}

async function indexBuildRunning(db: Db): Promise<boolean> {
  const { rows } = await sql<{ running: boolean }>`
    select exists (select 1 from pg_stat_progress_create_index where datid = (select oid from pg_database where datname = current_database())) as running`.execute(db);
  return rows[0]?.running === true;
}
