import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Tenant } from '../tenants/tenant.js';
import { RECALL_MAX_K, type RankedId } from './recall-estimate.js';

/** A search kept to be re-run exactly: what it asked, what the graph walk answered. */
export type RecallSample = {
  tenant: Tenant;
  vector: readonly number[];
  /** Hits compared (the page asked for, at most RECALL_MAX_K). */
  k: number;
  /** The tenant's ef_search the search ran under: the estimate is about it. */
  efSearch: number;
  /** The ef_search the graph walk used (never below the rows it was asked for). */
  effective: number;
  approximate: RankedId[];
};

/**
 * Takes a share of DEDICATED tenants' graph-walking searches and re-runs them exactly, one at a
 * time, in the background. Never in a request's way: taking a sample is a coin toss and a push
 * onto a bounded queue (a full queue drops it), and the worker waits while requests wait for a
 * database connection, and yields to them between samples.
 */
export type RecallSampler = {
  /** Keeps the search with probability `rate` if there is room; `take` runs only then. Never throws. */
  offer(tenant: Tenant, take: () => RecallSample | undefined): void;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  /** Drops what is queued and waits for the sample being checked. */
  close(): Promise<void>;
  stats(): { taken: number; dropped: number; checked: number };
};

export const RECALL_QUEUE_CAPACITY = 100;
const BUSY_PAUSE_MS = 50;

export function createRecallSampler(options: {
  /** Share of eligible searches sampled, 0..1; 0 samples nothing. */
  rate: number;
  /** Re-runs one sample exactly and records it (recall.service.ts checkRecallSample). */
  check: (sample: RecallSample) => Promise<void>;
  /** Whether requests are waiting for the database: the worker pauses while they are. */
  busy: () => boolean;
  onError: (error: unknown) => void;
  capacity?: number;
  random?: () => number;
}): RecallSampler {
  const { rate, check, busy, onError } = options;
  const capacity = options.capacity ?? RECALL_QUEUE_CAPACITY;
  const random = options.random ?? Math.random;
  const queue: RecallSample[] = [];
  const counts = { taken: 0, dropped: 0, checked: 0 };
  let worker: Promise<void> | undefined;
  let closed = false;

  const drain = async () => {
    for (let sample = queue.shift(); sample && !closed; sample = queue.shift()) {
      while (busy() && !closed) await sleep(BUSY_PAUSE_MS);
      if (closed) break;
      await check(sample).catch(onError);
      counts.checked += 1;
      await yieldToRequests();
    }
    worker = undefined;
  };

  return {
    offer(tenant, take) {
      if (closed || rate <= 0 || tenant.placement !== 'DEDICATED' || random() >= rate) return;
      if (queue.length >= capacity) {
        counts.dropped += 1;
        return;
      }
      try {
        const sample = take();
        if (!sample) return;
        queue.push(sample);
        counts.taken += 1;
        worker ??= drain();
      } catch (error) {
        onError(error);
      }
    },
    async idle() {
      while (worker) await worker;
    },
    async close() {
      closed = true;
      queue.length = 0;
      while (worker) await worker;
    },
    stats: () => ({ ...counts }),
  };
}

/** The sample of a graph walk's page: its first k rows, k at most RECALL_MAX_K. */
export function sampleOfPage(
  tenant: Tenant,
  vector: readonly number[],
  rows: readonly { id: string; distance: number | null }[],
  first: number,
  effective: number,
): RecallSample | undefined {
  const k = Math.min(first, RECALL_MAX_K, rows.length);
  if (k === 0) return undefined;
  const approximate = rows.slice(0, k).map((row) => ({ id: row.id, distance: row.distance ?? Number.POSITIVE_INFINITY }));
  return { tenant, vector: [...vector], k, efSearch: tenant.efSearch, effective, approximate };
}
