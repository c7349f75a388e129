import DataLoader from 'dataloader';
import type { Document } from './documents/document.js';
import { findDocumentsByIds } from './documents/document.service.js';
import { type EmbeddingLoaders, createEmbeddingLoaders } from './embeddings/embedding-loaders.js';
import { createCredentialsReader, requireAdminCredentials } from './auth/request-credentials.js';
import { type TenantAuthenticator, devTenantAuthenticator } from './auth/tenant-authenticator.js';
import type { ServiceDeps } from './service-deps.js';
import type { Tenant } from './tenants/tenant.js';
import type { RateLimiter } from './tenants/rate-limiter.js';

export { TENANT_HEADER } from './auth/request-credentials.js';

export type Context = {
  deps: ServiceDeps;
  /** Per-request: batches every embedding call of this request into one provider call. */
  loaders: EmbeddingLoaders;
  /**
   * Per-request: the caller's documents by internal id, one query per batch (node lookups,
   * federation entity references). Keyed within the caller's tenant: another tenant's id is null.
   */
  documents: Pick<DataLoader<string, Document | null>, 'load'>;
  /** The caller's tenant, resolved from the request's credentials (once per request). */
  tenant(): Promise<Tenant>;
  /** Throws unless the request carries the admin token. */
  requireAdmin(): void;
};

/**
 * Builds each request's context. Tenant resolution lives here and nowhere else: resolvers never
 * take a tenant argument, so no query can name another tenant's rows.
 */
export function createContextFactory(
  deps: ServiceDeps,
  options: {
    adminToken: string;
    /** How the tenant is proven (AUTH_MODE, src/auth/); default: dev mode's x-tenant-id header. */
    authenticateTenant?: TenantAuthenticator;
    onTenantResolved?: (request: Request, slug: string) => void;
    /** Per-tenant request budget, taken once per request when its tenant is first resolved. */
    rateLimiter?: RateLimiter;
  },
) {
  const readCredentials = createCredentialsReader(options.adminToken);
  const authenticateTenant = options.authenticateTenant ?? devTenantAuthenticator(deps);
  return ({ request }: { request: Request }): Context => {
    let tenant: Promise<Tenant> | undefined;
    // Read when a field first needs them: the tenant, or the admin check.
    let credentials: ReturnType<typeof readCredentials> | undefined;
    const requestCredentials = () => (credentials ??= readCredentials(request));
    const currentTenant = () => {
      tenant ??= authenticateTenant(requestCredentials()).then((found) => {
        options.onTenantResolved?.(request, found.slug);
        // After the observer hears of the tenant, so a refused request is still logged as its.
        options.rateLimiter?.take(found.id);
        return found;
      });
      return tenant;
    };
    // Made on first use, as the embedding loaders are: a search never loads documents by id.
    let documents: DataLoader<string, Document | null> | undefined;
    return {
      deps,
      loaders: createEmbeddingLoaders(deps.embedder),
      documents: {
        load: (id) => (documents ??= new DataLoader(async (ids) => findDocumentsByIds(deps, await currentTenant(), ids))).load(id),
      },
      tenant: currentTenant,
      requireAdmin: () => requireAdminCredentials(requestCredentials()),
    };
  };
}
