import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../../src/auth/jwt-verifier.js';
import { serveOnLoopback } from '../helpers/http-server.js';
import { graphiqlHtml } from '../helpers/graphiql-html.js';
import { ADMIN_TOKEN, type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const AUDIENCE = 'narwhal-api';
const ISSUER = 'https://issuer.test';
const WHO = '{ tenant { slug } }';

type Claims = Record<string, unknown>;

function hs256(claims: Claims, options: { secret?: string; expiresIn?: string | number; audience?: string; issuer?: string } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
  return jwt
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuer(options.issuer ?? ISSUER)
    .sign(new TextEncoder().encode(options.secret ?? SECRET));
}

describe('AUTH_MODE=jwt with an HS256 secret', () => {
  let t: TestApp;
  let acme: string;
  const bearer = (token: string) => t.gql(WHO, {}, { authorization: `Bearer ${token}` });
  const refusal = async (token: string) => {
    const result = await bearer(token);
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
    return result.errors![0]!.message;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_MODE: 'jwt', JWT_SECRET: SECRET, JWT_AUDIENCE: AUDIENCE, JWT_ISSUER: ISSUER } });
    acme = await t.createTenant('acme');
  });
  afterAll(async () => {
    expect(t.unexpectedErrors).toEqual([]);
    await t.close();
  });

  it('GraphiQL prefills an Authorization header for a JWT, not x-tenant-id, and its welcome says AUTH_MODE=jwt', async () => {
    const html = await graphiqlHtml(t);
    expect(html.includes('AUTH_MODE=jwt'), 'AUTH_MODE=jwt').toBe(true);
    expect(html.includes('Bearer <a JWT naming the demo tenant>'), 'Bearer <a JWT naming the demo tenant>').toBe(true);
    expect(html.includes('x-tenant-id'), 'x-tenant-id').toBe(false);
  });

  it("resolves the tenant named by the token's claim, not by x-tenant-id", async () => {
    const other = await t.createTenant('other');
    const token = await hs256({ tenant: acme }, { expiresIn: '5m' });
    expect((await bearer(token)).data).toEqual({ tenant: { slug: acme } });
    const withHeader = await t.gql(WHO, {}, { authorization: `Bearer ${token}`, 'x-tenant-id': other });
    expect(withHeader.data).toEqual({ tenant: { slug: acme } });
    expect(errorCode(await t.as(other)(WHO))).toBe('UNAUTHENTICATED');
  });

  it('refuses expired, unexpiring, mis-addressed, forged and malformed tokens, saying why', async () => {
    expect(await refusal(await hs256({ tenant: acme }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }))).toMatch(/has expired/);
    expect(await refusal(await hs256({ tenant: acme }))).toMatch(/no "exp" claim/);
    expect(await refusal(await hs256({ tenant: acme }, { expiresIn: '5m', audience: 'someone-else' }))).toMatch(/"aud" claim/);
    expect(await refusal(await hs256({ tenant: acme }, { expiresIn: '5m', issuer: 'https://evil.test' }))).toMatch(/"iss" claim/);
    expect(await refusal(await hs256({ tenant: acme }, { expiresIn: '5m', secret: `${SECRET}-forged` }))).toMatch(/signature/);
    expect(await refusal('not.a.jwt')).toMatch(/not a valid signed JWT/);
    expect(await refusal(await hs256({ sub: 'someone' }, { expiresIn: '5m' }))).toMatch(/no "tenant" claim/);
  });

  it('refuses tokens signed with another algorithm or none', async () => {
    const hs512 = await new SignJWT({ tenant: acme })
      .setProtectedHeader({ alg: 'HS512' })
      .setExpirationTime('5m')
      .setAudience(AUDIENCE)
      .setIssuer(ISSUER)
      .sign(new TextEncoder().encode(`${SECRET}${SECRET}`));
    expect(await refusal(hs512)).toMatch(/algorithm/);
    const payload = Buffer.from(JSON.stringify({ tenant: acme, aud: AUDIENCE, iss: ISSUER, exp: 9_999_999_999 })).toString('base64url');
    expect(await refusal(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`)).toMatch(/algorithm|not a valid/);
  });

  it('names a tenant that does not exist, and keeps the admin token for admin operations', async () => {
    expect(errorCode(await bearer(await hs256({ tenant: 'no-such-tenant' }, { expiresIn: '5m' })))).toBe('TENANT_NOT_FOUND');
    const admin = await t.gql(WHO, {}, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.errors![0]!.message).toMatch(/admin token is not a tenant credential/);
    const token = await hs256({ tenant: acme }, { expiresIn: '5m' });
    expect(errorCode(await t.gql('{ tenants { slug } }', {}, { authorization: `Bearer ${token}` }))).toBe('FORBIDDEN');
    expect((await t.admin('{ tenants { slug } }')).errors).toBeUndefined();
  });
});

describe('AUTH_MODE=jwt with a JWKS', () => {
  const CLAIM = 'https://narwhal.test/tenant';
  let t: TestApp;
  let jwks: Awaited<ReturnType<typeof serveOnLoopback>>;
  let acme: string;
  let signing: Awaited<ReturnType<typeof generateKeyPair>>;
  let publicJwk: JWK;

  const es256 = (claims: Claims, key = signing.privateKey, kid = 'key-1') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).setExpirationTime('5m').sign(key);

  beforeAll(async () => {
    signing = await generateKeyPair('ES256');
    publicJwk = { ...(await exportJWK(signing.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
    jwks = await serveOnLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    t = await startTestApp({ env: { AUTH_MODE: 'jwt', JWT_JWKS_URL: `${jwks.origin}/.well-known/jwks.json`, JWT_TENANT_CLAIM: CLAIM } });
    acme = await t.createTenant('acme');
  });
  afterAll(async () => {
    expect(t.unexpectedErrors).toEqual([]);
    await t.close();
    await jwks.close();
  });

  it('verifies tokens against keys fetched from JWT_JWKS_URL, reading the configured claim', async () => {
    const result = await t.gql(WHO, {}, { authorization: `Bearer ${await es256({ [CLAIM]: acme })}` });
    expect(result.data).toEqual({ tenant: { slug: acme } });
  });

  it('refuses a token from another key under the same kid, and one naming an unknown kid', async () => {
    const impostor = await generateKeyPair('ES256');
    const forged = await t.gql(WHO, {}, { authorization: `Bearer ${await es256({ [CLAIM]: acme }, impostor.privateKey)}` });
    expect(errorCode(forged)).toBe('UNAUTHENTICATED');
    expect(forged.errors![0]!.message).toMatch(/signature/);
    const unknown = await t.gql(WHO, {}, { authorization: `Bearer ${await es256({ [CLAIM]: acme }, impostor.privateKey, 'key-9')}` });
    expect(errorCode(unknown)).toBe('UNAUTHENTICATED');
    expect(unknown.errors![0]!.message).toMatch(/no signing key/);
  });

  it('refuses an HS256 token signed with the public key (algorithm confusion)', async () => {
    const confused = await new SignJWT({ [CLAIM]: acme })
      .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    const result = await t.gql(WHO, {}, { authorization: `Bearer ${confused}` });
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
  });
});

describe('JWT_JWKS_FILE', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'narwhal-jwks-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies RS256 tokens against a key set read from the file at startup', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const path = join(dir, 'jwks.json');
    await writeFile(path, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'rsa-1', alg: 'RS256' }] }));
    const verify = await createJwtVerifier({ key: { kind: 'jwks-file', path }, tenantClaim: 'tenant', audience: undefined, issuer: undefined });
    const token = await new SignJWT({ tenant: 'acme' }).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setExpirationTime('5m').sign(privateKey);
    expect(await verify(token)).toBe('acme');
  });

  it('stops startup on a file that is not a key set, naming JWT_JWKS_FILE', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{"not": "a key set"}');
    await expect(
      createJwtVerifier({ key: { kind: 'jwks-file', path }, tenantClaim: 'tenant', audience: undefined, issuer: undefined }),
    ).rejects.toThrow(/JWT_JWKS_FILE/);
  });
});
