import type { Outcome } from './graphql-client.js';
import { percentile, round } from './search-metrics.js';

/** Figures for one kind of request: how many, how many failed and how, and how long they took. */
export type OutcomeSummary = {
  requests: number;
  ok: number;
  errors: number;
  /** Error codes (GraphQL extensions.code, HTTP_<status>, or a network error) and their counts. */
  codes: Record<string, number>;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
};

/** Counts outcomes per operation name, keeping every latency for percentiles. */
export function createOutcomeTally() {
  const byOperation = new Map<string, Outcome[]>();
  return {
    record(operation: string, outcome: Outcome): void {
      const list = byOperation.get(operation) ?? [];
      list.push(outcome);
      byOperation.set(operation, list);
    },
    operations: () => [...byOperation.keys()],
    outcomes: (operation?: string) => (operation ? (byOperation.get(operation) ?? []) : [...byOperation.values()].flat()),
  };
}

/** The summary of some outcomes; latencies over all of them, failed ones included (a fast failure is a figure too). */
export function summarizeOutcomes(outcomes: readonly Outcome[]): OutcomeSummary {
  const codes: Record<string, number> = {};
  for (const outcome of outcomes) if (!outcome.ok) for (const code of outcome.codes) codes[code] = (codes[code] ?? 0) + 1;
  const latencies = outcomes.map((outcome) => outcome.latencyMs);
  const at = (p: number) => (latencies.length === 0 ? null : round(percentile(latencies, p), 2));
  const ok = outcomes.filter((outcome) => outcome.ok).length;
  return {
    requests: outcomes.length,
    ok,
    errors: outcomes.length - ok,
    codes,
    p50_ms: at(50),
    p99_ms: at(99),
    max_ms: latencies.length === 0 ? null : round(latencies.reduce((a, b) => Math.max(a, b), 0), 2),
  };
}

/** One human line: `name: 1234 requests, 0 errors, p50 1.2 ms, p99 4.5 ms`. */
export function describeSummary(name: string, s: OutcomeSummary): string {
  const codes = Object.entries(s.codes).map(([code, n]) => `${code} x${n}`).join(', ');
  return (
    `${name}: ${s.requests} requests, ${s.errors} errors${codes ? ` (${codes})` : ''}` +
    (s.p50_ms === null ? '' : `, p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms, max ${s.max_ms} ms`)
  );
}
