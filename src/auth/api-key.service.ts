import { AppError, badUserInput } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import type { Tenant } from '../tenants/tenant.js';
import { requireTenantBySlug } from '../tenants/tenant.service.js';
import { toTenant } from '../tenants/tenant-row.js';
import { API_KEY_ID_PATTERN, API_KEY_PREFIX, type ApiKey, apiKeyId, apiKeyMatches, generateApiKey } from './api-key.js';
import * as keys from './api-key.repository.js';

const API_KEY_NAME_LIMITS = { min: 1, max: 100 } as const;

type Deps = Pick<ServiceDeps, 'database'>;

/** Admin: a new key for the tenant. The key itself is returned here and never again. */
export async function createApiKey(deps: Deps, slug: string, name: string): Promise<{ apiKey: ApiKey; key: string }> {
  const trimmed = name.trim();
  if (trimmed.length < API_KEY_NAME_LIMITS.min || trimmed.length > API_KEY_NAME_LIMITS.max) {
    throw badUserInput('name', `must be ${API_KEY_NAME_LIMITS.min}-${API_KEY_NAME_LIMITS.max} characters, got ${trimmed.length}`);
  }
  const tenant = await requireTenantBySlug(deps, slug);
  const { id, key, hash } = generateApiKey();
  const row = await keys.insertApiKey(deps.database.db, { id, tenant_id: tenant.id, name: trimmed, key_hash: hash });
  return { apiKey: toApiKey(row), key };
}

/** Admin: revokes a key by id; requests carrying it are refused from now on. Revoking twice is a no-op. */
export async function revokeApiKey(deps: Deps, id: string): Promise<ApiKey> {
  if (!API_KEY_ID_PATTERN.test(id)) throw badUserInput('id', 'must be an API key id (16 hex characters)');
  const row = await keys.revokeApiKey(deps.database.db, id);
  if (!row) throw new AppError('NOT_FOUND', `id: no API key with id "${id}"`, 'id');
  return toApiKey(row);
}

/** The tenant's keys, revoked ones included; never the keys themselves. */
export async function listApiKeys(deps: Deps, tenant: Tenant): Promise<ApiKey[]> {
  return (await keys.listApiKeys(deps.database.db, tenant.id)).map(toApiKey);
}

/**
 * The tenant a bearer API key belongs to. The key's id (not secret) finds its stored hash, which
 * is compared in constant time; unknown keys and wrong secrets get the same answer.
 */
export async function authenticateApiKey(deps: Deps, bearer: string): Promise<Tenant> {
  const id = apiKeyId(bearer);
  if (id === undefined && bearer.startsWith(API_KEY_PREFIX)) {
    throw new AppError(
      'UNAUTHENTICATED',
      'The bearer token is a malformed Narwhal API key: a key is nwk_<16 hex characters>_<43 characters>, as createApiKey returned it; check that it was copied whole',
    );
  }
  if (id === undefined) throw new AppError('UNAUTHENTICATED', 'The bearer token is not a Narwhal API key (nwk_...)');
  const found = await keys.findApiKeyCredential(deps.database.db, id);
  if (!found || !apiKeyMatches(bearer, found.key_hash)) throw new AppError('UNAUTHENTICATED', 'Unknown API key');
  if (found.revoked_at) throw new AppError('UNAUTHENTICATED', 'This API key was revoked');
  if (!found.last_used_at || Date.now() - found.last_used_at.getTime() > 60_000) await keys.touchApiKey(deps.database.db, id);
  return toTenant(found.tenant);
}

function toApiKey(row: keys.ApiKeyRow): ApiKey {
  return { id: row.id, name: row.name, createdAt: row.created_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at };
}
