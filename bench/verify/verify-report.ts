/** The figures bench/verify/verify.ts prints: a table for people, then one JSON line for machines. */

export type BenchSummary = {
  engine: string;
  external_database: boolean;
  metric: string;
  vectors: number;
  dimensions: number;
  clusters: number;
  queries: number;
  k: number;
  exact_p50_ms: number;
  exact_p99_ms: number;
  hnsw_p50_ms: number;
  hnsw_p99_ms: number;
  recall_at_10: number;
  load_docs_per_s: number;
  load_s: number;
  batch_size: number;
  build_s: number;
  hnsw_m: number;
  hnsw_ef_construction: number;
  ef_search: number;
  short_hnsw_pages: number;
  exact_plan_uses_hnsw: boolean;
  hnsw_plan_uses_hnsw: boolean;
};

/** The table and, as the very last line, the summary as one JSON object. */
export function formatReport(s: BenchSummary): string {
  const rows: [string, string][] = [
    ['engine', `${s.engine}${s.external_database ? ' (DATABASE_URL)' : ''}, metric ${s.metric}`],
    ['corpus', `${s.vectors} x ${s.dimensions}d, ${s.clusters}-cluster Gaussian mixture`],
    ['load', `${s.load_docs_per_s} docs/s (${s.load_s} s in batches of ${s.batch_size})`],
    ['exact p50 / p99', `${s.exact_p50_ms.toFixed(2)} / ${s.exact_p99_ms.toFixed(2)} ms over ${s.queries} queries`],
    ['HNSW build', `${s.build_s} s (m ${s.hnsw_m}, ef_construction ${s.hnsw_ef_construction})`],
    ['HNSW p50 / p99', `${s.hnsw_p50_ms.toFixed(2)} / ${s.hnsw_p99_ms.toFixed(2)} ms (ef_search ${s.ef_search})`],
    [`recall@${s.k}`, `${s.recall_at_10} (pages shorter than ${s.k}: ${s.short_hnsw_pages})`],
    ['planned HNSW scan', `exact pass: ${s.exact_plan_uses_hnsw}, HNSW pass: ${s.hnsw_plan_uses_hnsw}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const table = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  return [...table, JSON.stringify(s)].join('\n');
}
