import { AppError } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import { SLUG_PATTERN, type Tenant } from '../tenants/tenant.js';
import { findTenantBySlug } from '../tenants/tenant.service.js';
import { assertActive } from '../tenants/tenant-row.js';
import type { AuthConfig } from './auth-config.js';
import { authenticateApiKey } from './api-key.service.js';
import { createJwtVerifier } from './jwt-verifier.js';
import { type RequestCredentials, TENANT_HEADER } from './request-credentials.js';

/** The caller's tenant, from the request's credentials only: never from an argument. */
export type TenantAuthenticator = (credentials: RequestCredentials) => Promise<Tenant>;

type Deps = Pick<ServiceDeps, 'database' | 'tenantCache'>;

/** The authenticator AUTH_MODE asks for; a JWKS file is read here, so a bad one stops startup. */
export async function createTenantAuthenticator(deps: Deps, auth: AuthConfig): Promise<TenantAuthenticator> {
  if (auth.mode === 'dev') return devTenantAuthenticator(deps);
  if (auth.mode === 'apikey') {
    return async (credentials) => active(await authenticateApiKey(deps, tenantBearer(credentials, 'an API key')));
  }
  const verify = await createJwtVerifier(auth);
  return async (credentials) => active(await tenantBySlug(deps, await verify(tenantBearer(credentials, 'a JWT'))));
}

/** AUTH_MODE=dev: the x-tenant-id header names the tenant, and nothing proves it. */
export function devTenantAuthenticator(deps: Deps): TenantAuthenticator {
  return async ({ tenantHeader, bearer, isAdmin }) => {
    if (tenantHeader === null || tenantHeader === '') {
      // A client holding an API key or JWT is talking to a dev-mode server: say why it is ignored.
      const ignored =
        bearer !== undefined && !isAdmin
          ? ' The bearer token was not used: API keys need the server to run with AUTH_MODE=apikey, JWTs with AUTH_MODE=jwt.'
          : '';
      throw new AppError('UNAUTHENTICATED', `Send the tenant's slug in the ${TENANT_HEADER} header (this server runs with AUTH_MODE=dev).${ignored}`);
    }
    return active(await tenantBySlug(deps, tenantHeader));
  };
}

function tenantBearer(credentials: RequestCredentials, kind: string): string {
  if (credentials.bearer === undefined) {
    throw new AppError('UNAUTHENTICATED', `Send ${kind} in "Authorization: Bearer <credential>"`);
  }
  if (credentials.isAdmin) {
    throw new AppError('UNAUTHENTICATED', `The admin token is not a tenant credential: send ${kind} for tenant operations`);
  }
  return credentials.bearer;
}

async function tenantBySlug(deps: Deps, slug: string): Promise<Tenant> {
  const load = () => findTenantBySlug(deps, slug);
  const tenant = !SLUG_PATTERN.test(slug) ? undefined : deps.tenantCache ? await deps.tenantCache.bySlug(slug, load) : await load();
  if (!tenant) throw new AppError('TENANT_NOT_FOUND', `No tenant with slug "${slug.slice(0, 63)}"`);
  return tenant;
}

function active(tenant: Tenant): Tenant {
  assertActive(tenant);
  return tenant;
}
