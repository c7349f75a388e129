import { toVectorParameter } from '../../src/db/vector.js';
import { searchDocumentsExactly } from '../../src/search/search.repository.js';
import type { ServiceDeps } from '../../src/service-deps.js';
import { inTenantSession } from '../../src/tenants/tenant-session.js';
import { runConcurrentPass } from '../shared/concurrent-pass.js';
import type { HttpLoadClient } from '../shared/http-load-client.js';
import { queryVectors } from '../shared/tenant-corpus.js';
import type { ScaleTenant } from './load-population.js';

const SEARCH = /* GraphQL */ `
  query ScaleSearch($v: [Float!], $first: Int) {
    search(vector: $v, first: $first) { hits { document { externalId } } info { strategy } }
  }
`;
type SearchData = { search: { hits: { document: { externalId: string } }[]; info: { strategy: string } } };

/** One search of the pass: its tenant and a vector from that tenant's own topics. */
type ScaleQuery = { member: ScaleTenant; vector: number[] };

/**
 * `count` queries spread over a tier's tenants by a fixed stride (the same tenants every run),
 * each drawn from its tenant's distribution; `stream` tells independent sets apart.
 */
export function sampleQueries(tier: readonly ScaleTenant[], count: number, stream: number): ScaleQuery[] {
  const positions = new Map<number, number[]>();
  for (let i = 0; i < count; i += 1) {
    const member = (i * 7919 + stream * 31) % tier.length;
    positions.set(member, [...(positions.get(member) ?? []), i]);
  }
  const queries: ScaleQuery[] = new Array(count);
  for (const [index, at] of positions) {
    const member = tier[index] as ScaleTenant;
    const vectors = queryVectors(member.corpus, at.length, stream);
    at.forEach((position, j) => (queries[position] = { member, vector: vectors[j] as number[] }));
  }
  return queries;
}

type TierPass = { latenciesMs: number[]; seconds: number; results: string[][]; strategies: string[] };

/** The queries through the GraphQL endpoint, `clients` at a time, each with its tenant's header. */
export async function runTierPass(load: HttpLoadClient, queries: readonly ScaleQuery[], clients: number, k: number): Promise<TierPass> {
  const variables = queries.map((query) => ({ v: query.vector, first: k }));
  const headers = queries.map((query) => ({ 'x-tenant-id': query.member.tenant.slug }));
  const pass = await load.pass<SearchData>(SEARCH, variables, clients, queries.length, headers);
  return {
    latenciesMs: pass.latenciesMs,
    seconds: pass.seconds,
    results: pass.results.map((data) => data.search.hits.map((hit) => hit.document.externalId)),
    strategies: pass.results.map((data) => data.search.info.strategy),
  };
}

/** Searches that came back with fewer than k hits from a tenant holding at least k documents. */
export function shortPages(queries: readonly ScaleQuery[], pass: TierPass, k: number): number {
  return pass.results.filter((ids, i) => ids.length < Math.min(k, (queries[i] as ScaleQuery).member.corpus.docs)).length;
}

/**
 * Ground truth from the database: the application's exact statement (every row's distance, then
 * the k smallest; its MATERIALIZED CTE keeps the HNSW index out), in the tenant's scope, two at a
 * time. The same float32 values the index holds, so ties aside it is the answer an index must find.
 * In a transaction (a tenant session's run), not its one pipelined round trip: on Citus that one
 * read no rows here (the session's tenant setting did not reach the workers), which the tenant
 * session avoids by the same choice.
 */
export async function exactResults(deps: ServiceDeps, queries: readonly ScaleQuery[], k: number): Promise<string[][]> {
  const pass = await runConcurrentPass(queries, 2, async ({ member, vector }) => {
    const { rows } = await inTenantSession(deps.database, member.tenant, {
      run: ({ db, shard }) => searchDocumentsExactly(db, shard, { vector: toVectorParameter(vector), limit: k, metric: deps.metric }),
    });
    return rows.map((row) => row.external_id);
  });
  return pass.results;
}
