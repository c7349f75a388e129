import { performance } from 'node:perf_hooks';
import type { GraphqlClient } from '../shared/graphql-client.js';
import type { SearchPass } from '../shared/search-pass.js';

const SEARCH = /* GraphQL */ `
  query BenchTenantSearch($v: [Float!], $first: Int) {
    search(vector: $v, first: $first) { hits { document { externalId } } }
  }
`;

type SearchData = { search: { hits: { document: { externalId: string } }[] } };

/** One search: which tenant (x-tenant-id) and which vector. */
export type TenantQuery = { slug: string; vector: readonly number[] };

/**
 * Like runSearchPass, but each query names its own tenant, so one pass can spread over many
 * tenants. One client, one query at a time, after unmeasured warm-up queries.
 */
export async function runTenantSearchPass(
  client: GraphqlClient,
  options: { queries: readonly TenantQuery[]; warmup: readonly TenantQuery[]; k: number },
): Promise<SearchPass> {
  const searchOnce = async ({ slug, vector }: TenantQuery) => {
    const data = await client.request<SearchData>(SEARCH, { v: vector, first: options.k }, { 'x-tenant-id': slug });
    return data.search.hits.map((hit) => hit.document.externalId);
  };
  for (const query of options.warmup) await searchOnce(query);
  const latenciesMs: number[] = [];
  const results: string[][] = [];
  for (const query of options.queries) {
    const started = performance.now();
    const ids = await searchOnce(query);
    latenciesMs.push(performance.now() - started);
    results.push(ids);
  }
  return { latenciesMs, results };
}
