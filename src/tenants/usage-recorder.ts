import type { Database } from '../db/database.js';
import type { TenantId } from './tenant.js';
import { type UsageCounts, type UsageIncrement, addUsage } from './usage.repository.js';

/** Days of per-day usage kept and reported (Tenant.usage). */
export const USAGE_WINDOW_DAYS = 30;

export type UsageRecorder = {
  /** A search answered for the tenant; embeddingTokens: the estimate for its query text, 0 when none was embedded. */
  recordSearch(tenantId: TenantId, embeddingTokens: number): void;
  /** Documents written or deleted for the tenant, and the tokens of the texts embedded for them. */
  recordWrites(tenantId: TenantId, documents: number, embeddingTokens: number): void;
  /** This process's counts not yet flushed, per UTC day ('YYYY-MM-DD'). */
  pending(tenantId: TenantId): Map<string, UsageCounts>;
  /** Writes the counts so far to the database now (tests, shutdown); on failure they stay for the next flush. */
  flush(): Promise<void>;
  /** Stops the timer and flushes what is left. */
  stop(): Promise<void>;
};

/**
 * Tokens of a text as Narwhal estimates them: UTF-8 bytes / 3, the estimate the embedding batcher
 * packs requests by (embeddings/embedding-batches.ts). An estimate for every provider: the
 * provider's own counts (OpenAI's usage.total_tokens) cover a batch shared by several tenants.
 */
export function estimateEmbeddingTokens(texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + Math.ceil(Buffer.byteLength(text, 'utf8') / 3), 0);
}

export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * Usage counters kept in memory and added to tenant_usage_daily every flushIntervalMs, so that a
 * search costs a Map update, not a database round trip. Counts made between the last flush and a
 * crash are lost (at most flushIntervalMs worth); a graceful shutdown flushes them. A failed
 * flush keeps its counts for the next one.
 */
export function createUsageRecorder(options: {
  database: Database;
  flushIntervalMs: number;
  onError: (error: unknown) => void;
  now?: () => Date;
}): UsageRecorder {
  const now = options.now ?? (() => new Date());
  // Key: tenant id and day, "12:2026-12-02".
  let counts = new Map<string, UsageIncrement>();
  let flushing: Promise<void> = Promise.resolve();
  let inFlight = 0;

  const add = (tenantId: TenantId, delta: UsageCounts) => {
    const day = utcDay(now());
    const key = `${tenantId}:${day}`;
    const entry = counts.get(key) ?? { tenant_id: tenantId, day, searches: 0, writes: 0, embedding_tokens: 0 };
    entry.searches += delta.searches;
    entry.writes += delta.writes;
    entry.embedding_tokens += delta.embedding_tokens;
    counts.set(key, entry);
  };

  const flushNow = async () => {
    if (counts.size === 0) return;
    const batch = counts;
    counts = new Map();
    try {
      await addUsage(options.database.db, [...batch.values()]);
    } catch (error) {
      for (const entry of batch.values()) add(entry.tenant_id as TenantId, entry);
      throw error;
    }
  };
  // One flush at a time: a second waits for the first, then writes what came since.
  const flush = () => {
    inFlight += 1;
    flushing = flushing
      .catch(() => undefined)
      .then(flushNow)
      .finally(() => {
        inFlight -= 1;
      });
    return flushing;
  };

  // A database too busy to answer within the interval gets no queue of flushes: the timer skips a
  // tick while one is still under way, and its counts wait in memory.
  const tick = () => {
    if (inFlight === 0) void flush().catch(options.onError);
  };
  const timer = options.flushIntervalMs > 0 ? setInterval(tick, options.flushIntervalMs) : undefined;
  timer?.unref();

  return {
    recordSearch(tenantId, embeddingTokens) {
      add(tenantId, { searches: 1, writes: 0, embedding_tokens: embeddingTokens });
    },
    recordWrites(tenantId, documents, embeddingTokens) {
      if (documents === 0 && embeddingTokens === 0) return;
      add(tenantId, { searches: 0, writes: documents, embedding_tokens: embeddingTokens });
    },
    pending(tenantId) {
      const byDay = new Map<string, UsageCounts>();
      for (const entry of counts.values()) {
        if (entry.tenant_id === tenantId) {
          byDay.set(entry.day, { searches: entry.searches, writes: entry.writes, embedding_tokens: entry.embedding_tokens });
        }
      }
      return byDay;
    },
    flush,
    async stop() {
      if (timer) clearInterval(timer);
      // Shutdown goes on without the counts it could not write: they are reported, not thrown.
      await flush().catch(options.onError);
    },
  };
}
