/** The figures bench/quality/quality.ts prints: a table for people, then one JSON line for machines. */

export type PerMode = { vector: number | null; keyword: number | null; hybrid: number | null };

export type QualitySummary = {
  engine: string;
  documents: number;
  queries: number;
  embedder: string;
  ndcg_at_10: PerMode;
  recall_at_100: PerMode;
  p50_ms: PerMode;
  p99_ms: PerMode;
  /** info.keywordRanking as the KEYWORD (else HYBRID) searches reported it; null when unknown. */
  keyword_ranking: string | null;
  bm25_published_ndcg_at_10: number;
  load_docs_per_s: number;
  /** BENCH_TRUST_SWEEP: HYBRID nDCG@10 per vector trust (empty without a sweep). */
  hybrid_ndcg_at_10_by_vector_trust: Record<string, number>;
};

/** Per mode, what the table shows beside the figures: how the server ranked, or why it could not run. */
export type ModeNotes = Record<keyof PerMode, { ranking: string } | { unavailable: string }>;

const MODES: [keyof PerMode, string][] = [
  ['vector', 'VECTOR'],
  ['keyword', 'KEYWORD'],
  ['hybrid', 'HYBRID'],
];

const fixed = (value: number | null, decimals: number) => (value === null ? '' : value.toFixed(decimals));

/** "HNSW" for one value, "HNSW 290, EXACT 10" for several, most frequent first. */
export function describeTally(tally: ReadonlyMap<string, number>): string {
  const entries = [...tally.entries()].sort((a, b) => b[1] - a[1]);
  if (entries.length <= 1) return entries[0]?.[0] ?? '';
  return entries.map(([value, times]) => `${value} ${times}`).join(', ');
}

export function formatQualityReport(s: QualitySummary, notes: ModeNotes, context: { dataset: string; loadSeconds: number }): string {
  const header = ['mode', 'nDCG@10', 'recall@100', 'p50 ms', 'p99 ms', 'ranking'];
  const rows: string[][] = MODES.map(([key, label]) => {
    const note = notes[key];
    if ('unavailable' in note) return [label, 'not available', '', '', '', note.unavailable.slice(0, 80)];
    return [
      label,
      fixed(s.ndcg_at_10[key], 4),
      fixed(s.recall_at_100[key], 4),
      fixed(s.p50_ms[key], 2),
      fixed(s.p99_ms[key], 2),
      note.ranking,
    ];
  });
  rows.push(['BM25 (published, BEIR)', s.bm25_published_ndcg_at_10.toFixed(3), '', '', '', '']);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 || column === row.length - 1 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const intro = [
    `dataset   ${context.dataset}: ${s.documents} documents, ${s.queries} judged test queries`,
    `engine    ${s.engine}; embedder ${s.embedder}`,
    `load      ${s.load_docs_per_s} docs/s (${context.loadSeconds.toFixed(1)} s, embedding included)`,
    '',
  ];
  const table = [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
  const sweep = Object.entries(s.hybrid_ndcg_at_10_by_vector_trust).map(
    ([trust, ndcg]) => `HYBRID nDCG@10 at vector trust ${trust}: ${ndcg.toFixed(4)}`,
  );
  return [...intro, ...table, ...(sweep.length > 0 ? ['', ...sweep] : []), JSON.stringify(s)].join('\n');
}
