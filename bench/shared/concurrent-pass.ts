import { performance } from 'node:perf_hooks';

export type ConcurrentPass<R> = { latenciesMs: number[]; seconds: number; results: R[] };

/**
 * Runs every query once, `clients` at a time (each client sends its next query as soon as its
 * previous one answered), and times each call and the whole pass.
 */
export async function runConcurrentPass<Q, R>(
  queries: readonly Q[],
  clients: number,
  call: (query: Q) => Promise<R>,
): Promise<ConcurrentPass<R>> {
  const latenciesMs = new Array<number>(queries.length);
  const results = new Array<R>(queries.length);
  let next = 0;
  const started = performance.now();
  const client = async () => {
    while (next < queries.length) {
      const index = next++;
      const callStarted = performance.now();
      results[index] = await call(queries[index] as Q);
      latenciesMs[index] = performance.now() - callStarted;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { latenciesMs, seconds: (performance.now() - started) / 1000, results };
}

/** The k nearest corpus rows by cosine distance (vectors are unit length: 1 - dot), brute force. */
export function exactNearest(corpus: readonly Float32Array[], query: readonly number[], k: number): number[] {
  const q = Float32Array.from(query);
  const best: { index: number; score: number }[] = [];
  corpus.forEach((row, index) => {
    let dot = 0;
    for (let i = 0; i < q.length; i++) dot += (row[i] as number) * (q[i] as number);
    if (best.length < k || dot > (best[best.length - 1] as { score: number }).score) {
      best.push({ index, score: dot });
      best.sort((a, b) => b.score - a.score);
      if (best.length > k) best.pop();
    }
  });
  return best.map((entry) => entry.index);
}
