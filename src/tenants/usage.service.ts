import type { ServiceDeps } from '../service-deps.js';
import { countDocuments } from './tenant.service.js';
import { shardOf, type Tenant } from './tenant.js';
import { USAGE_WINDOW_DAYS, utcDay } from './usage-recorder.js';
import { type UsageCounts, findStorageBytes, findUsageSince } from './usage.repository.js';

export type UsageDay = { day: string; searches: number; writes: number; embeddingTokens: number };

export type TenantUsage = {
  documents: number;
  tableBytes: number;
  /** Null for a SHARED tenant: its rows share the pool's indexes. */
  indexBytes: number | null;
  /** Totals over `days`. */
  searches: number;
  writes: number;
  embeddingTokens: number;
  /** The last USAGE_WINDOW_DAYS UTC days, oldest first, today last; days without use are zeros. */
  days: UsageDay[];
};

/**
 * The tenant's size now and its use per day: what the database holds, plus this server's counts
 * not flushed yet (another server's unflushed counts show once it flushes, within seconds).
 */
export async function tenantUsage(deps: Pick<ServiceDeps, 'database' | 'usage'>, tenant: Tenant, at = new Date()): Promise<TenantUsage> {
  const days = windowDays(at);
  const empty = (): UsageCounts => ({ searches: 0, writes: 0, embedding_tokens: 0 });
  const byDay = new Map(days.map((day) => [day, empty()]));
  const stored = await findUsageSince(deps.database.db, tenant.id, days[0] as string);
  const pending = deps.usage?.pending(tenant.id) ?? new Map<string, UsageCounts>();
  for (const row of [...stored, ...[...pending].map(([day, counts]) => ({ day, ...counts }))]) {
    const entry = byDay.get(row.day);
    if (!entry) continue;
    entry.searches += row.searches;
    entry.writes += row.writes;
    entry.embedding_tokens += row.embedding_tokens;
  }
  const perDay = days.map((day) => {
    const counts = byDay.get(day) ?? empty();
    return { day, searches: counts.searches, writes: counts.writes, embeddingTokens: counts.embedding_tokens };
  });
  const storage =
    tenant.state === 'ACTIVE'
      ? await findStorageBytes(deps.database.db, shardOf(tenant), deps.database.distributed)
      : { table: 0, indexes: null };
  return {
    documents: await countDocuments(deps, tenant),
    tableBytes: storage.table,
    indexBytes: storage.indexes,
    searches: sum(perDay, 'searches'),
    writes: sum(perDay, 'writes'),
    embeddingTokens: sum(perDay, 'embeddingTokens'),
    days: perDay,
  };
}

/** The first day (UTC) of the usage window ending at `at`: rows before it are purged. */
export function usageWindowStart(at: Date): string {
  return windowDays(at)[0] as string;
}

function windowDays(at: Date): string[] {
  const today = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return Array.from({ length: USAGE_WINDOW_DAYS }, (_, i) => utcDay(new Date(today - (USAGE_WINDOW_DAYS - 1 - i) * 86_400_000)));
}

function sum(days: readonly UsageDay[], key: 'searches' | 'writes' | 'embeddingTokens'): number {
  return days.reduce((total, day) => total + day[key], 0);
}
