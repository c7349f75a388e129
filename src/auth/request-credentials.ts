import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../domain-errors.js';

/** The header naming the tenant in AUTH_MODE=dev. */
export const TENANT_HEADER = 'x-tenant-id';

/** What a request presents, read once per request. */
export type RequestCredentials = {
  /** x-tenant-id (dev mode only). */
  tenantHeader: string | null;
  /** The `Authorization: Bearer` token: the admin token, or in apikey/jwt mode a tenant credential. */
  bearer: string | undefined;
  /** Whether the bearer is the admin token. */
  isAdmin: boolean;
};

/**
 * Reads a request's credentials. The admin token and a tenant's key or JWT share the
 * Authorization header: the admin token is recognized first, in constant time.
 */
export function createCredentialsReader(adminToken: string): (request: Request) => RequestCredentials {
  const adminDigest = digest(adminToken);
  return (request) => {
    const bearer = request.headers.get('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    return {
      tenantHeader: request.headers.get(TENANT_HEADER),
      bearer,
      isAdmin: bearer !== undefined && timingSafeEqual(digest(bearer), adminDigest),
    };
  };
}

/** Throws unless the request carries the admin token. */
export function requireAdminCredentials(credentials: RequestCredentials): void {
  if (credentials.bearer === undefined) {
    throw new AppError('UNAUTHENTICATED', 'This operation needs the admin token in "Authorization: Bearer <token>"');
  }
  if (!credentials.isAdmin) throw new AppError('FORBIDDEN', 'The bearer token is not the admin token');
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the token's length.
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
