/** How tenant requests prove which tenant they are (AUTH_MODE). */
export const AUTH_MODES = ['dev', 'apikey', 'jwt'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** Where the keys that sign tenant JWTs come from: exactly one of JWT_SECRET, JWT_JWKS_URL, JWT_JWKS_FILE. */
export type JwtKeySource = { kind: 'secret'; secret: string } | { kind: 'jwks-url'; url: string } | { kind: 'jwks-file'; path: string };

export type JwtAuthConfig = {
  key: JwtKeySource;
  /** Claim holding the tenant's slug. */
  tenantClaim: string;
  /** Checked against the token's aud / iss when set. */
  audience: string | undefined;
  issuer: string | undefined;
};

/**
 * dev: the x-tenant-id header names the tenant, unauthenticated (refused in production).
 * apikey: `Authorization: Bearer nwk_...`, a per-tenant key an admin created.
 * jwt: `Authorization: Bearer <JWT>` signed by the configured key, naming the tenant in a claim.
 */
export type AuthConfig = { mode: 'dev' } | { mode: 'apikey' } | ({ mode: 'jwt' } & JwtAuthConfig);
