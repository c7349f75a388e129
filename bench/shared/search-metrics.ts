/** Latency and quality figures over a run of searches. */

/** The p-th percentile (0-100) by linear interpolation between closest ranks, as numpy's default. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

type LatencySummary = { p50: number; p99: number; mean: number; max: number };

export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    mean: samples.reduce((sum, value) => sum + value, 0) / samples.length,
    max: Math.max(...samples),
  };
}

/**
 * Mean over queries of |approximate top k ∩ exact top k| / k. A short approximate page counts its
 * missing rows as misses, which is what a client asking for k would see.
 */
export function recallAtK(approximate: readonly string[][], exact: readonly string[][], k: number): number {
  if (approximate.length !== exact.length || exact.length === 0) {
    throw new Error(`recall needs one result list per query on both sides (${approximate.length} vs ${exact.length})`);
  }
  let total = 0;
  approximate.forEach((found, index) => {
    const truth = new Set((exact[index] as string[]).slice(0, k));
    total += found.slice(0, k).filter((id) => truth.has(id)).length / k;
  });
  return total / exact.length;
}

/** Rounds for display and the JSON summary, so figures do not carry spurious precision. */
export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
