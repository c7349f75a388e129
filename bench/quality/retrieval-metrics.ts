/**
 * Ranked-retrieval quality against graded relevance judgements (qrels), as BEIR reports it.
 * Pure functions: a ranking is the returned document ids, best first; judgements map a document
 * id to its grade, where a grade above 0 means relevant.
 */

type Judgements = ReadonlyMap<string, number>;

function relevantGrades(judgements: Judgements): number[] {
  return [...judgements.values()].filter((grade) => grade > 0);
}

// Exponential gain (2^rel - 1), as in Burges et al. and the brief; on binary qrels it equals
// trec_eval's linear gain, so figures stay comparable with BEIR's pytrec_eval numbers.
const gain = (grade: number) => 2 ** grade - 1;
const discount = (index: number) => Math.log2(index + 2);

/**
 * nDCG@k of one ranking: DCG of its top k over the DCG of the ideal ordering of the query's
 * judged documents. 0 when the query has no relevant judgement (BEIR never evaluates such queries).
 */
function ndcgAtK(ranking: readonly string[], judgements: Judgements, k: number): number {
  const ideal = relevantGrades(judgements)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, grade, index) => sum + gain(grade) / discount(index), 0);
  if (ideal === 0) return 0;
  const dcg = ranking
    .slice(0, k)
    .reduce((sum, id, index) => sum + gain(Math.max(0, judgements.get(id) ?? 0)) / discount(index), 0);
  return dcg / ideal;
}

/** Relevant documents among the top k over all relevant judged documents of the query. */
export function recallAtK(ranking: readonly string[], judgements: Judgements, k: number): number {
  const relevant = relevantGrades(judgements).length;
  if (relevant === 0) return 0;
  const found = new Set(ranking.slice(0, k).filter((id) => (judgements.get(id) ?? 0) > 0)).size;
  return found / relevant;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('mean of no values');
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

type RetrievalScores = { ndcgAt10: number; recallAt100: number };

/** Mean nDCG@10 and recall@100 over queries; `rankings` and `judgements` are keyed by query id. */
export function scoreRuns(
  rankings: ReadonlyMap<string, readonly string[]>,
  judgements: ReadonlyMap<string, Judgements>,
): RetrievalScores {
  const queryIds = [...judgements.keys()];
  const missing = queryIds.filter((id) => !rankings.has(id));
  if (missing.length > 0) throw new Error(`no ranking for ${missing.length} judged queries (first: ${missing[0]})`);
  const ranked = (id: string) => rankings.get(id) as readonly string[];
  const judged = (id: string) => judgements.get(id) as Judgements;
  return {
    ndcgAt10: mean(queryIds.map((id) => ndcgAtK(ranked(id), judged(id), 10))),
    recallAt100: mean(queryIds.map((id) => recallAtK(ranked(id), judged(id), 100))),
  };
}

const close = (actual: number, expected: number) => Math.abs(actual - expected) < 1e-9;

/** Checks the formulas on hand-computed cases; throws at the first wrong one. */
export function selfCheckRetrievalMetrics(): void {
  const judgements = new Map([
    ['a', 2],
    ['b', 1],
    ['z', 0],
  ]);
  const cases: [string, number, number][] = [
    ['perfect ranking nDCG', ndcgAtK(['a', 'b', 'x'], judgements, 10), 1],
    ['nothing relevant nDCG', ndcgAtK(['x', 'y', 'z'], judgements, 10), 0],
    // DCG = 1/log2(2) + 3/log2(3); IDCG = 3/log2(2) + 1/log2(3).
    ['swapped ranking nDCG', ndcgAtK(['b', 'a'], judgements, 10), (1 + 3 / Math.log2(3)) / (3 + 1 / Math.log2(3))],
    // Binary: one relevant doc at rank 2 of 1 judged: 1/log2(3).
    ['binary rank-2 nDCG', ndcgAtK(['x', 'a'], new Map([['a', 1]]), 10), 1 / Math.log2(3)],
    ['cut-off at k nDCG', ndcgAtK(['x', 'a'], judgements, 1), 0],
    ['recall half', recallAtK(['a', 'x'], judgements, 100), 0.5],
    ['recall cut-off', recallAtK(['x', 'a', 'b'], judgements, 2), 0.5],
    ['recall full', recallAtK(['b', 'z', 'a'], judgements, 100), 1],
    ['mean', mean([0, 0.5, 1]), 0.5],
  ];
  for (const [name, actual, expected] of cases) {
    if (!close(actual, expected)) throw new Error(`retrieval-metrics self-check failed: ${name}: ${actual}, expected ${expected}`);
  }
}
