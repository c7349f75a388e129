/** bench:tenants' searches: which tenants each tier's queries go to, the timed pass, recall. */
import type { GraphqlClient } from '../shared/graphql-client.js';
import { recallAtK } from '../shared/search-metrics.js';
import type { SearchPass } from '../shared/search-pass.js';
import { type TenantCorpus, type VectorMatrix, corpusVectors, exactTopK, queryVectors, toMatrix } from '../shared/tenant-corpus.js';
import type { LoadedTenant, TenantsRun } from './population.js';
import { type TenantQuery, runTenantSearchPass } from './tenant-search-pass.js';

const WARMUP_QUERIES = 30;
/** Query streams of a tenant's mixture (tenantCorpus allows 0-4): measured, warm-up, EXPLAIN. */
export const STREAM = { measured: 0, warmup: 1, planning: 2 } as const;

/** The shared and the dedicated tier as loaded: each dedicated tenant's vectors kept as a matrix for brute force. */
type Tiers = { shared: readonly LoadedTenant[]; dedicated: readonly (LoadedTenant & { matrix: VectorMatrix })[] };

export const shortPages = (pass: SearchPass, k: number) => pass.results.filter((ids) => ids.length < k).length;

/** Recall of a pass against brute force over each query's tenant's vectors. */
export function recallOf(pass: SearchPass, queries: readonly TenantQuery[], matrixOf: (slug: string) => VectorMatrix, k: number): number {
  const exact = queries.map((query) => exactTopK(matrixOf(query.slug), query.vector, k));
  return recallAtK(pass.results, exact, k);
}

/** `count` queries spread over the shared tenants by a fixed stride, so every run queries the same ones. */
function sharedQueries(shared: readonly LoadedTenant[], count: number, stream: number, salt: number): TenantQuery[] {
  const pick = (i: number) => (i * 7919 + salt) % shared.length;
  const wanted = new Map<number, number[]>();
  for (let i = 0; i < count; i += 1) wanted.set(pick(i), [...(wanted.get(pick(i)) ?? []), i]);
  const queries: TenantQuery[] = new Array(count);
  for (const [index, positions] of wanted) {
    const { corpus } = shared[index] as LoadedTenant;
    const vectors = queryVectors(corpus, positions.length, stream);
    positions.forEach((position, j) => (queries[position] = { slug: corpus.slug, vector: vectors[j] as number[] }));
  }
  return queries;
}

/** `count` queries taking the dedicated tenants in turn. */
function dedicatedQueries(dedicated: readonly LoadedTenant[], count: number, stream: number): TenantQuery[] {
  const perTenant = dedicated.map(({ corpus }) => queryVectors(corpus, Math.ceil(count / dedicated.length), stream));
  return Array.from({ length: count }, (_, i) => ({
    slug: (dedicated[i % dedicated.length] as LoadedTenant).corpus.slug,
    vector: (perTenant[i % dedicated.length] as number[][])[Math.floor(i / dedicated.length)] as number[],
  }));
}

/**
 * Phase 3: latency and recall per tier, `queries` searches each through GraphQL over HTTP, the
 * tiers' queries interleaved; recall against brute force over each tenant's vectors.
 */
export async function measureTierSearches(run: TenantsRun, client: GraphqlClient, { shared, dedicated }: Tiers, queries: number, k: number) {
  const sharedSet = sharedQueries(shared, queries, STREAM.measured, 13);
  const dedicatedSet = dedicatedQueries(dedicated, queries, STREAM.measured);
  const sharedQueried = new Set(sharedSet.map((query) => query.slug)).size;
  run.log(
    `searches: ${queries} over ${sharedQueried} shared tenants interleaved with ${queries} over ` +
      `${dedicated.length} dedicated tenants, after ${WARMUP_QUERIES} warm-up of each`,
  );
  // Alternating the tiers query by query exposes both to the same machine load, so their
  // ratio holds even when other processes compete for the CPU.
  const interleave = <T>(a: readonly T[], b: readonly T[]) => a.flatMap((item, i) => [item, b[i] as T]);
  const bothPass = await runTenantSearchPass(client, {
    queries: interleave(sharedSet, dedicatedSet),
    warmup: interleave(sharedQueries(shared, WARMUP_QUERIES, STREAM.warmup, 101), dedicatedQueries(dedicated, WARMUP_QUERIES, STREAM.warmup)),
    k,
  });
  const tier = (parity: number): SearchPass => ({
    latenciesMs: bothPass.latenciesMs.filter((_, i) => i % 2 === parity),
    results: bothPass.results.filter((_, i) => i % 2 === parity),
  });
  const sharedPass = tier(0);
  const dedicatedPass = tier(1);

  run.log('ground truth: brute force over the loaded vectors');
  const sharedBySlug = new Map(shared.map((entry) => [entry.corpus.slug, entry.corpus]));
  const sharedMatrices = new Map<string, VectorMatrix>();
  const sharedMatrix = (slug: string) => {
    let matrix = sharedMatrices.get(slug);
    if (!matrix) {
      matrix = toMatrix(corpusVectors(sharedBySlug.get(slug) as TenantCorpus), run.dimensions);
      sharedMatrices.set(slug, matrix);
    }
    return matrix;
  };
  const dedicatedMatrices = new Map(dedicated.map((entry) => [entry.corpus.slug, entry.matrix]));
  return {
    sharedPass,
    dedicatedPass,
    recallShared: recallOf(sharedPass, sharedSet, sharedMatrix, k),
    recallDedicated: recallOf(dedicatedPass, dedicatedSet, (slug) => dedicatedMatrices.get(slug) as VectorMatrix, k),
  };
}

