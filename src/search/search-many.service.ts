import type { EmbeddingLoaders } from '../embeddings/embedding-loaders.js';
import { badUserInput } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import type { Tenant } from '../tenants/tenant.js';
import { type SearchArgs, type SearchHit, search } from './search.service.js';

export type TenantSearchHit = SearchHit & { tenant: Tenant };

export const SEARCH_MANY_LIMITS = { tenants: 100 } as const;

/**
 * One search over several tenants (admin): each tenant's own top-k, from its own partition and
 * strategy, merged into the global top-k. Correct because any document in the global top-k is in
 * its tenant's top-k. Only distances and keyword scores compare across tenants; fused scores are
 * normalized per result list and do not, so HYBRID is refused. (VECTOR hits always have a distance.)
 */
export async function searchMany(
  deps: ServiceDeps,
  loaders: EmbeddingLoaders,
  tenants: readonly Tenant[],
  args: SearchArgs,
): Promise<TenantSearchHit[]> {
  if (tenants.length === 0 || tenants.length > SEARCH_MANY_LIMITS.tenants) {
    throw badUserInput('tenants', `must name 1 to ${SEARCH_MANY_LIMITS.tenants} tenants, got ${tenants.length}`);
  }
  if (args.mode === 'HYBRID') throw badUserInput('mode', 'HYBRID scores do not compare across tenants: use VECTOR or KEYWORD');
  if (args.groupBy || args.autocut) throw badUserInput('groupBy', 'grouping and autocut apply to one tenant\'s search only');
  const perTenant = await Promise.all(
    tenants.map(async (tenant) => (await search(deps, loaders, tenant, args)).hits.map((hit) => ({ ...hit, tenant }))),
  );
  const better =
    args.mode === 'KEYWORD'
      ? (a: TenantSearchHit, b: TenantSearchHit) => (b.keywordScore ?? 0) - (a.keywordScore ?? 0)
      : (a: TenantSearchHit, b: TenantSearchHit) => (a.distance ?? 0) - (b.distance ?? 0);
  const first = args.first ?? 10;
  return perTenant
    .flat()
    .sort(better)
    .slice(0, first)
    .map((hit, index) => ({ ...hit, rank: index + 1 }));
}
