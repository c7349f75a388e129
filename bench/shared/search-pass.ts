import { performance } from 'node:perf_hooks';
import type { GraphqlClient } from './graphql-client.js';

const SEARCH = /* GraphQL */ `
  query BenchSearch($v: [Float!], $first: Int, $efSearch: Int) {
    search(vector: $v, first: $first, efSearch: $efSearch) {
      hits { rank distance document { externalId } }
    }
  }
`;

type SearchData = { search: { hits: { rank: number; distance: number; document: { externalId: string } }[] } };

export type SearchPass = {
  /** HTTP round trip of each measured query, in milliseconds, in query order. */
  latenciesMs: number[];
  /** The externalIds each measured query returned, closest first. */
  results: string[][];
};

/**
 * Sends the queries one at a time from a single client, after unmeasured warm-up queries, and
 * times each round trip from just before the request to the parsed response.
 */
export async function runSearchPass(
  client: GraphqlClient,
  tenantSlug: string,
  options: { queries: readonly number[][]; warmup: readonly number[][]; k: number; efSearch?: number },
): Promise<SearchPass> {
  const headers = { 'x-tenant-id': tenantSlug };
  const searchOnce = async (vector: readonly number[]) => {
    const data = await client.request<SearchData>(SEARCH, { v: vector, first: options.k, efSearch: options.efSearch ?? null }, headers);
    return data.search.hits;
  };
  for (const vector of options.warmup) await searchOnce(vector);
  const latenciesMs: number[] = [];
  const results: string[][] = [];
  for (const vector of options.queries) {
    const started = performance.now();
    const hits = await searchOnce(vector);
    latenciesMs.push(performance.now() - started);
    assertRanked(hits);
    results.push(hits.map((hit) => hit.document.externalId));
  }
  return { latenciesMs, results };
}

// A benchmark over wrongly ordered results would report meaningless recall: fail loudly instead.
function assertRanked(hits: SearchData['search']['hits']): void {
  hits.forEach((hit, index) => {
    if (hit.rank !== index + 1) throw new Error(`hit ${index} has rank ${hit.rank}, expected ${index + 1}`);
    const previous = hits[index - 1];
    if (previous && previous.distance > hit.distance) {
      throw new Error(`hits out of order: rank ${previous.rank} at ${previous.distance} before ${hit.distance}`);
    }
  });
}
