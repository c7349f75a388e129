/**
 * How far HYBRID search trusts each embedder's evidence against keyword ranking (1: equal
 * footing), measured with `npm run bench:quality` (BENCH_TRUST_SWEEP) on SciFact's judged
 * queries. A model not listed here starts at 1; HYBRID_VECTOR_TRUST overrides it for a deployment
 * whose own judged queries say otherwise.
 */
const MEASURED_VECTOR_TRUST: Readonly<Record<string, number>> = {
  // SciFact nDCG@10: vector alone 0.213, BM25 0.690; trust 0.2-0.35 fuse to 0.697, 1 to 0.666.
  'universal-sentence-encoder-lite': 0.25,
};

export function defaultVectorTrust(model: string, configured: number | undefined): number {
  return configured ?? MEASURED_VECTOR_TRUST[model] ?? 1;
}
