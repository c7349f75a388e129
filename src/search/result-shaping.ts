/**
 * Post-processing of a ranked page: grouping (best hit per group key, e.g. the chunks of one
 * source) and autocut (stop where the scores drop sharply, as Weaviate users expect).
 */

/** The value at a metadata path, as a group key; a document without it is a group of its own. */
export function groupKey(metadata: Record<string, unknown>, path: readonly string[], ownKey: string): string {
  let value: unknown = metadata;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return `\u0000${ownKey}`;
    value = (value as Record<string, unknown>)[key];
  }
  return value === undefined ? `\u0000${ownKey}` : JSON.stringify(value);
}

/** Keeps the first (best) item of each group, in order, up to limit groups. */
export function bestPerGroup<T>(items: readonly T[], keyOf: (item: T) => string, limit: number): T[] {
  const seen = new Set<string>();
  const kept: T[] = [];
  for (const item of items) {
    const key = keyOf(item);
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(item);
    if (kept.length === limit) break;
  }
  return kept;
}

/**
 * Cuts a best-first list after its Nth sharp drop in score. A drop is sharp when it is larger
 * than twice the average step between neighbours: relative, so it works for distances, keyword
 * scores and fused scores alike.
 */
export function autocut<T>(items: readonly T[], scoreOf: (item: T) => number, jumps: number): T[] {
  if (items.length < 3) return [...items];
  const steps = items.slice(1).map((item, i) => scoreOf(items[i] as T) - scoreOf(item));
  const threshold = (2 * steps.reduce((a, b) => a + b, 0)) / steps.length;
  let seen = 0;
  for (let i = 0; i < steps.length; i++) {
    if ((steps[i] as number) > threshold && threshold > 0) {
      seen++;
      if (seen === jumps) return items.slice(0, i + 1);
    }
  }
  return [...items];
}

/**
 * Splits off rows whose scores are not finite numbers: a stored vector with no direction (a zero
 * vector under cosine, written before input was checked or by SQL) has a NaN distance to every
 * query, which GraphQL cannot send and which would poison a fused ranking. They are left out of
 * the page, and the search's info says how many.
 */
export function withoutUnscorable<T extends { distance: number | null; keywordScore?: number | null; fusedScore?: number | null }>(
  rows: readonly T[],
): { rows: T[]; unscorable: number } {
  // A null score is one that was not asked for (a KEYWORD hit has no distance); NaN or infinite is broken.
  const finite = (value: number | null | undefined) => value === null || value === undefined || Number.isFinite(value);
  const kept = rows.filter((row) => finite(row.distance) && finite(row.keywordScore) && finite(row.fusedScore));
  return { rows: kept, unscorable: rows.length - kept.length };
}

/** What info.reason adds when unscorable rows were left out. */
export function unscorableNote(count: number): string {
  return `${count} document${count === 1 ? '' : 's'} left out: no finite distance to the query (a stored zero vector under cosine, or a query vector with no direction); re-upsert them with a valid embedding`;
}
