import { HNSW_LIMITS } from '../tenants/tenant.js';

/**
 * Recall held per tenant: the pure parts (what a sample's recall is, how the rolling estimate
 * moves, when ef_search changes). recall.service.ts runs them; recall.repository.ts stores them.
 */

/** The most hits of a sampled search that are compared: recall@k for k up to this. */
export const RECALL_MAX_K = 100;

/**
 * Samples averaged plainly before the estimate becomes an exponential moving average with
 * weight 1/RECALL_WINDOW: it then follows about the last RECALL_WINDOW samples, and a change in
 * the tenant's data moves it without a table of samples to keep.
 */
export const RECALL_WINDOW = 50;

/** Samples since ef_search last changed before the tuner trusts the estimate enough to move it again. */
export const RECALL_MIN_SAMPLES = 20;

/** Bounds of a tenant's recall target: below 0.5 an index is not worth walking, 1 is an exact scan. */
export const RECALL_TARGET_LIMITS = { min: 0.5, max: 0.999 } as const;

const RAISE_FACTOR = 1.5;
const LOWER_FACTOR = 0.8;
/** How far above the target the estimate must be before ef_search is lowered (halved near 1). */
const LOWER_MARGIN = 0.02;

export type RankedId = { id: string; distance: number };

/**
 * recall@k of an approximate answer against the exact one: the share of the exact k nearest the
 * approximate page found. A different document at exactly the k-th distance (a tie) counts as found:
 * either is a correct answer.
 */
export function recallAtK(approximate: readonly RankedId[], exact: readonly RankedId[], k: number): number {
  const truth = exact.slice(0, k);
  if (truth.length === 0) return 1;
  const exactIds = new Set(truth.map((row) => row.id));
  const kth = truth[truth.length - 1]!.distance;
  const found = approximate.slice(0, k).filter((row) => exactIds.has(row.id) || row.distance <= kth).length;
  return Math.min(1, found / truth.length);
}

export type RecallState = {
  target: number | null;
  estimate: number | null;
  /** Samples in the estimate, all taken at efSearch. */
  samples: number;
  efSearch: number;
};

export type EfSearchAdjustment = { from: number; to: number; reason: string };

/**
 * Whether to move the tenant's ef_search, and where: up by half when the estimate is below the
 * target, down by a fifth when it is comfortably above (never below the page asked for, which
 * HNSW needs to fill it), within HNSW_LIMITS.efSearch. Nothing until RECALL_MIN_SAMPLES samples
 * were taken at the current ef_search. `effective` is the ef_search the sampled search walked
 * with (never below its k), which a raise starts from: raising a setting below k would change
 * nothing.
 */
export function decideAdjustment(state: RecallState, sample: { k: number; effective: number }): EfSearchAdjustment | undefined {
  const { target, estimate, samples, efSearch } = state;
  if (target === null || estimate === null || samples < RECALL_MIN_SAMPLES) return undefined;
  const limits = HNSW_LIMITS.efSearch;
  const shown = (value: number) => value.toFixed(3);
  if (estimate < target) {
    const to = Math.min(limits.max, Math.ceil(Math.max(efSearch, sample.effective) * RAISE_FACTOR));
    if (to <= efSearch) return undefined;
    return { from: efSearch, to, reason: `recall@${sample.k} ${shown(estimate)} below target ${shown(target)} over ${samples} samples` };
  }
  const margin = Math.min(LOWER_MARGIN, (1 - target) / 2);
  if (estimate >= target + margin) {
    const to = Math.max(limits.min, sample.k, Math.floor(efSearch * LOWER_FACTOR));
    if (to >= efSearch) return undefined;
    return {
      from: efSearch,
      to,
      reason: `recall@${sample.k} ${shown(estimate)} at least ${shown(target + margin)} (target ${shown(target)} + margin) over ${samples} samples`,
    };
  }
  return undefined;
}

export function validRecallTarget(target: number | null): boolean {
  return target === null || (Number.isFinite(target) && target >= RECALL_TARGET_LIMITS.min && target <= RECALL_TARGET_LIMITS.max);
}
