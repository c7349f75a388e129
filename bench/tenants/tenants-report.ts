/** The figures bench/tenants/tenants.ts prints: a table for people, then one JSON line for machines. */

export type TenantsSummary = {
  engine: string;
  external_database: boolean;
  metric: string;
  dimensions: number;
  k: number;
  shared_tenants: number;
  shared_docs_per_tenant: number;
  dedicated_tenants: number;
  dedicated_docs_per_tenant: number;
  total_docs: number;
  load_docs_per_s: number;
  shared_load_docs_per_s: number;
  dedicated_load_docs_per_s: number;
  dedicated_build_s: number[];
  population_s: number;
  queries_per_tier: number;
  shared_p50_ms: number;
  shared_p99_ms: number;
  dedicated_p50_ms: number;
  dedicated_p99_ms: number;
  shared_to_dedicated_p50_ratio: number;
  recall_at_10_shared: number;
  recall_at_10_dedicated: number;
  short_pages_shared: number;
  short_pages_dedicated: number;
  ef_search: number;
  shared_plan_indexes: string[];
  dedicated_plan_uses_hnsw: boolean;
  promotion_docs: number;
  promotion_s: number;
  promoted_placement: string;
  promoted_recall_at_10: number;
  promoted_short_pages: number;
  promoted_plan_uses_hnsw: boolean;
  planning_runs: number;
  planning_ms_baseline_shared: number;
  planning_ms_baseline_dedicated: number;
  planning_ms_shared: number;
  planning_ms_dedicated: number;
  planning_ratio_shared: number;
  planning_ratio_dedicated: number;
  /** Least of the runs: less sensitive than the median to other processes on a busy machine. */
  planning_min_ms: { baseline_shared: number; baseline_dedicated: number; shared: number; dedicated: number };
  planning_ms_population_shared: number;
  planning_ms_population_dedicated: number;
  tenants_at_final_planning: number;
  peak_rss_mb: number;
  /** Wall clock of the whole run, app start to report. */
  total_s: number;
};

/** The table and, as the very last line, the summary as one JSON object. */
export function formatTenantsReport(s: TenantsSummary): string {
  const ms = (value: number) => value.toFixed(2);
  const goal = (met: boolean) => (met ? 'goal met' : 'goal NOT met');
  const rows: [string, string][] = [
    ['engine', `${s.engine}${s.external_database ? ' (DATABASE_URL)' : ''}, metric ${s.metric}, ${s.dimensions}d`],
    ['shared tier', `${s.shared_tenants} tenants x ${s.shared_docs_per_tenant} docs (exact search)`],
    ['dedicated tier', `${s.dedicated_tenants} tenants x ${s.dedicated_docs_per_tenant} docs (HNSW, ef_search ${s.ef_search})`],
    ['load', `${s.load_docs_per_s} docs/s overall (shared ${s.shared_load_docs_per_s}, dedicated without index ${s.dedicated_load_docs_per_s}); ${s.total_docs} docs`],
    ['HNSW builds', `${s.dedicated_build_s.map((value) => `${value} s`).join(', ')}; population took ${s.population_s} s`],
    ['shared p50 / p99', `${ms(s.shared_p50_ms)} / ${ms(s.shared_p99_ms)} ms over ${s.queries_per_tier} queries (interleaved with the dedicated ones)`],
    ['dedicated p50 / p99', `${ms(s.dedicated_p50_ms)} / ${ms(s.dedicated_p99_ms)} ms over ${s.queries_per_tier} queries`],
    ['shared / dedicated p50', `${s.shared_to_dedicated_p50_ratio} (${goal(s.shared_to_dedicated_p50_ratio <= 2)}: <= 2)`],
    [`recall@${s.k} shared`, `${s.recall_at_10_shared} (${goal(s.recall_at_10_shared === 1)}: 1.0; short pages ${s.short_pages_shared})`],
    [`recall@${s.k} dedicated`, `${s.recall_at_10_dedicated} (${goal(s.recall_at_10_dedicated >= 0.95)}: >= 0.95; short pages ${s.short_pages_dedicated})`],
    ['plans', `shared uses ${s.shared_plan_indexes.join(', ') || 'no index'}; dedicated uses HNSW: ${s.dedicated_plan_uses_hnsw}`],
    ['promotion', `${s.promotion_docs} docs in ${s.promotion_s} s -> ${s.promoted_placement}; then recall@${s.k} ${s.promoted_recall_at_10}, short pages ${s.promoted_short_pages}, HNSW planned: ${s.promoted_plan_uses_hnsw}`],
    ['planning, baseline', `shared ${ms(s.planning_ms_baseline_shared)} ms, dedicated ${ms(s.planning_ms_baseline_dedicated)} ms (median of ${s.planning_runs})`],
    ['planning, populated', `shared ${ms(s.planning_ms_shared)} ms (x${s.planning_ratio_shared}), dedicated ${ms(s.planning_ms_dedicated)} ms (x${s.planning_ratio_dedicated}) with ${s.tenants_at_final_planning} tenants`],
    ['planning, least of runs', `baseline shared ${ms(s.planning_min_ms.baseline_shared)} / dedicated ${ms(s.planning_min_ms.baseline_dedicated)} ms; populated shared ${ms(s.planning_min_ms.shared)} / dedicated ${ms(s.planning_min_ms.dedicated)} ms`],
    ['planning, big tenants', `a populated shared tenant ${ms(s.planning_ms_population_shared)} ms, a ${s.dedicated_docs_per_tenant}-doc dedicated tenant ${ms(s.planning_ms_population_dedicated)} ms`],
    ['peak RSS', `${s.peak_rss_mb} MB (this process, embedded engine included)`],
    ['total', `${s.total_s} s`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const table = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  return [...table, JSON.stringify(s)].join('\n');
}
