import { readFile } from 'node:fs/promises';
import { type JWTPayload, type JWTVerifyOptions, createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { AppError } from '../domain-errors.js';
import type { JwtAuthConfig } from './auth-config.js';

/** Verifies a bearer JWT and returns the tenant slug it names; UNAUTHENTICATED otherwise. */
export type JwtVerifier = (token: string) => Promise<string>;

// Key sets hold public keys: only asymmetric algorithms, so a token cannot pick HMAC and sign
// with a public key. The shared secret is HS256 only.
const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Builds the verifier once at startup; a JWKS file is read (and checked) here, a JWKS URL on first use. */
export async function createJwtVerifier(config: JwtAuthConfig): Promise<JwtVerifier> {
  const options: JWTVerifyOptions = {
    // A token without exp would be valid forever.
    requiredClaims: ['exp'],
    algorithms: config.key.kind === 'secret' ? ['HS256'] : ASYMMETRIC_ALGORITHMS,
    ...(config.audience ? { audience: config.audience } : {}),
    ...(config.issuer ? { issuer: config.issuer } : {}),
  };
  const verify = await keyedVerify(config, options);
  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch (error) {
      throw toAuthenticationError(error);
    }
    const slug = payload[config.tenantClaim];
    if (typeof slug !== 'string' || slug === '') {
      throw new AppError('UNAUTHENTICATED', `The bearer token has no "${config.tenantClaim}" claim naming a tenant`);
    }
    return slug;
  };
}

async function keyedVerify(config: JwtAuthConfig, options: JWTVerifyOptions): Promise<(token: string) => Promise<JWTPayload>> {
  const { key } = config;
  if (key.kind === 'secret') {
    const secret = new TextEncoder().encode(key.secret);
    return async (token) => (await jwtVerify(token, secret, options)).payload;
  }
  if (key.kind === 'jwks-url') {
    const keySet = createRemoteJWKSet(new URL(key.url));
    return async (token) => (await jwtVerify(token, keySet, options)).payload;
  }
  let keySet: ReturnType<typeof createLocalJWKSet>;
  try {
    keySet = createLocalJWKSet(JSON.parse(await readFile(key.path, 'utf8')));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`JWT_JWKS_FILE: cannot read a JSON Web Key Set from ${key.path}: ${reason}`, { cause: error });
  }
  return async (token) => (await jwtVerify(token, keySet, options)).payload;
}

/** A token the client got wrong is UNAUTHENTICATED with the reason; a key set we cannot fetch is our failure. */
function toAuthenticationError(error: unknown): unknown {
  const message = (reason: string) => new AppError('UNAUTHENTICATED', `The bearer token ${reason}`, undefined, { cause: error });
  if (error instanceof errors.JWTExpired) return message('has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' && error.reason === 'check_failed') return message('is not valid yet (nbf)');
    return message(error.reason === 'missing' ? `has no "${error.claim}" claim` : `has an unexpected "${error.claim}" claim`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return message('has a signature that does not verify');
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return message('is signed with an algorithm this server does not accept');
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return message('names no signing key this server knows (kid)');
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return message('is not a valid signed JWT');
  return error;
}
