import { createHash, timingSafeEqual } from 'node:crypto';
import DataLoader from 'dataloader';
import type { Document } from './documents/document.js';
import { findDocumentsByIds } from './documents/document.service.js';
import { type EmbeddingLoaders, createEmbeddingLoaders } from './embeddings/embedding-loaders.js';
import { AppError } from './errors.js';
import type { ServiceDeps } from './service-deps.js';
import { SLUG_PATTERN, type Tenant } from './tenants/tenant.js';
import { findTenantBySlug } from './tenants/tenant.service.js';
import { assertActive } from './tenants/tenant-scope.js';

export const TENANT_HEADER = 'x-tenant-id';

export type Context = {
  deps: ServiceDeps;
  /** Per-request: batches every embedding call of this request into one provider call. */
  loaders: EmbeddingLoaders;
  /**
   * Per-request: the caller's documents by internal id, one query per batch (node lookups,
   * federation entity references). Keyed within the caller's tenant: another tenant's id is null.
   */
  documents: DataLoader<string, Document | null>;
  /** The caller's tenant, resolved from the request's credentials (once per request). */
  tenant(): Promise<Tenant>;
  /** Throws unless the request carries the admin token. */
  requireAdmin(): void;
};

/**
 * Builds each request's context. Tenant resolution lives here and nowhere else: resolvers never
 * take a tenant argument, so no query can name another tenant's rows.
 */
export function createContextFactory(deps: ServiceDeps, options: { adminToken: string }) {
  const adminDigest = digest(options.adminToken);
  return ({ request }: { request: Request }): Context => {
    let tenant: Promise<Tenant> | undefined;
    const slug = request.headers.get(TENANT_HEADER);
    const bearer = request.headers.get('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    const currentTenant = () => {
      tenant ??= resolveTenant(deps, slug);
      return tenant;
    };
    return {
      deps,
      loaders: createEmbeddingLoaders(deps.embedder),
      documents: new DataLoader(async (ids) => findDocumentsByIds(deps, await currentTenant(), ids)),
      tenant: currentTenant,
      requireAdmin: () => {
        if (bearer === undefined) {
          throw new AppError('UNAUTHENTICATED', 'This operation needs the admin token in "Authorization: Bearer <token>"');
        }
        if (!timingSafeEqual(digest(bearer), adminDigest)) {
          throw new AppError('FORBIDDEN', 'The bearer token is not the admin token');
        }
      },
    };
  };
}

async function resolveTenant(deps: ServiceDeps, slug: string | null): Promise<Tenant> {
  if (slug === null || slug === '') {
    throw new AppError('UNAUTHENTICATED', `Send the tenant's slug in the ${TENANT_HEADER} header`);
  }
  const tenant = SLUG_PATTERN.test(slug) ? await findTenantBySlug(deps, slug) : undefined;
  if (!tenant) throw new AppError('TENANT_NOT_FOUND', `No tenant with slug "${slug.slice(0, 63)}"`);
  assertActive(tenant);
  return tenant;
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the token's length.
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
