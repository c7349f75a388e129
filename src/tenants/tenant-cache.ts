import type { Tenant } from './tenant.js';

/**
 * ACTIVE tenants by slug for a few seconds, so resolving a request's tenant costs no round trip.
 * Nothing that matters is trusted from it: every tenant request re-reads its tenant under the
 * tenant's lock when it opens the tenant's session (placement, state), and Query.tenant reads it
 * afresh. What may be stale for up to ttlMs is the default efSearch, and on another server
 * process a slug deleted and reused: its requests get TENANT_NOT_FOUND until the entry expires.
 */
export type TenantCache = {
  bySlug(slug: string, load: () => Promise<Tenant | undefined>): Promise<Tenant | undefined>;
  /** This process changed the tenant behind the slug (created, deleted). */
  forget(slug: string): void;
};

export function createTenantCache(options: { ttlMs: number; maxEntries?: number; now?: () => number }): TenantCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? (() => performance.now());
  const entries = new Map<string, { tenant: Tenant; expires: number }>();
  return {
    async bySlug(slug, load) {
      const entry = entries.get(slug);
      if (entry && entry.expires > now()) return entry.tenant;
      entries.delete(slug);
      const tenant = await load();
      // Only ACTIVE tenants: a reactivated tenant must not be refused from a stale entry.
      if (tenant?.state === 'ACTIVE' && options.ttlMs > 0) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(slug, { tenant, expires: now() + options.ttlMs });
      }
      return tenant;
    },
    forget(slug) {
      entries.delete(slug);
    },
  };
}
