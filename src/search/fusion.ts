/**
 * Fusing a vector ranking with a keyword ranking. Both functions take lists ordered best first,
 * each item with a score where larger is better, and return one ordered list with fused scores.
 */
export type Scored = { id: string; score: number };

/** Reciprocal rank fusion: sum of 1 / (k + rank) over the lists a document appears in. */
export function reciprocalRankFusion(lists: readonly (readonly Scored[])[], k: number): Scored[] {
  const fused = new Map<string, number>();
  for (const list of lists.map(scorable)) {
    list.forEach((item, index) => fused.set(item.id, (fused.get(item.id) ?? 0) + 1 / (k + index + 1)));
  }
  return sortByScore(fused);
}

/**
 * How WEIGHTED fusion sets the two lists' weights: fixed (alpha is the vector list's weight, 0..1),
 * or from the evidence each list carries for this query, the vector list's scaled by how far this
 * deployment's embedder is trusted against keyword ranking (1: equal footing).
 */
export type Weighting = { alpha: number } | { vectorTrust: number };

/**
 * Weighted sum of min-max normalized scores. Evidence weighting gives each list a weight by how far
 * its best score stands above the rest of its candidates, in standard deviations: a keyword match
 * that hits stands out, and so does a paraphrase a good embedder recognises, so the stronger signal
 * leads instead of being averaged away as rank fusion does. That per-query evidence cannot tell a
 * weak embedder from a good one (a weak one's best hit stands out just as often, by chance), so
 * the vector side is scaled by a trust measured for the embedder on judged queries (bench:quality).
 */
export function weightedFusion(allVector: readonly Scored[], allKeyword: readonly Scored[], weighting: Weighting): Scored[] {
  const [vector, keyword] = [scorable(allVector), scorable(allKeyword)];
  const [vectorWeight, keywordWeight] =
    'alpha' in weighting ? [weighting.alpha, 1 - weighting.alpha] : evidenceWeights(vector, keyword, weighting.vectorTrust);
  const fused = new Map<string, number>();
  for (const [list, weight] of [
    [vector, vectorWeight],
    [keyword, keywordWeight],
  ] as const) {
    for (const [id, value] of normalize(list)) fused.set(id, (fused.get(id) ?? 0) + weight * value);
  }
  return sortByScore(fused);
}

function evidenceWeights(vector: readonly Scored[], keyword: readonly Scored[], vectorTrust: number): [number, number] {
  const v = vectorTrust * prominence(vector);
  const k = prominence(keyword);
  if (v + k === 0) return [0.5, 0.5];
  return [v / (v + k), k / (v + k)];
}

/** How many standard deviations the best score stands above the mean of the list; 0 if flat. */
function prominence(list: readonly Scored[]): number {
  if (list.length < 2) return list.length === 1 ? 1 : 0;
  const scores = list.map((item) => item.score);
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const deviation = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
  return deviation === 0 ? 0 : Math.max(0, ((scores[0] as number) - mean) / deviation);
}

/**
 * A list without items whose score is not a finite number (a stored zero vector's NaN distance
 * under cosine): one NaN would make every normalized score, and so every fused score, NaN.
 */
function scorable(list: readonly Scored[]): Scored[] {
  return list.filter((item) => Number.isFinite(item.score));
}

function normalize(list: readonly Scored[]): Map<string, number> {
  const scores = list.map((item) => item.score);
  const max = Math.max(...scores);
  const min = Math.min(...scores);
  return new Map(list.map((item) => [item.id, max === min ? 1 : (item.score - min) / (max - min)]));
}

function sortByScore(scores: Map<string, number>): Scored[] {
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

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
