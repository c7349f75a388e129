/** Planning time of the search query, as EXPLAIN (format json, summary) reports it. */
import { percentile } from './search-metrics.js';

/** "Planning Time" (ms) out of an EXPLAIN (FORMAT JSON, SUMMARY) result. */
function planningTimeMs(plan: unknown): number {
  const tree: unknown = typeof plan === 'string' ? JSON.parse(plan) : plan;
  const top: unknown = Array.isArray(tree) ? tree[0] : tree;
  const value = top !== null && typeof top === 'object' ? (top as Record<string, unknown>)['Planning Time'] : undefined;
  if (typeof value !== 'number') throw new Error(`EXPLAIN output has no "Planning Time": ${JSON.stringify(tree).slice(0, 300)}`);
  return value;
}

/**
 * Median (and least) planning time over `runs` EXPLAINs, after unmeasured ones: the first load the
 * catalog caches, and on the embedded engine the next ones let V8 finish optimizing PGlite's
 * WebAssembly (with only a few, a baseline read ~1.5x slow). Returns the last plan for shape checks.
 */
export async function medianPlanningMs(
  explainOnce: (run: number) => Promise<unknown>,
  runs: number,
  warmup = 100,
): Promise<{ medianMs: number; minMs: number; plan: unknown }> {
  let plan: unknown;
  for (let run = 0; run < warmup; run += 1) plan = await explainOnce(run);
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    plan = await explainOnce(warmup + run);
    samples.push(planningTimeMs(plan));
  }
  return { medianMs: percentile(samples, 50), minMs: Math.min(...samples), plan };
}
