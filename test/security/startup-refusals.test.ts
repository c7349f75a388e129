import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startTestApp } from '../helpers/test-app.js';
import { testDatabaseUrl } from '../helpers/test-database.js';

// The server refuses to start rather than serve tenants without real authentication or without
// row-level security, and says which setting is at fault.
describe('startup refusals', () => {
  it('refuses AUTH_MODE=dev in production, naming AUTH_MODE', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: 'a'.repeat(24) })).toThrow(/AUTH_MODE: must be apikey or jwt when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: 'a'.repeat(24), AUTH_MODE: 'dev' })).toThrow(/AUTH_MODE/);
    expect(loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: 'a'.repeat(24), AUTH_MODE: 'apikey' }).auth).toEqual({ mode: 'apikey' });
  });

  it('wants exactly one JWT key source in jwt mode', () => {
    expect(() => loadConfig({ AUTH_MODE: 'jwt' })).toThrow(/exactly one of JWT_SECRET, JWT_JWKS_URL, JWT_JWKS_FILE \(got none\)/);
    expect(() => loadConfig({ AUTH_MODE: 'jwt', JWT_SECRET: 's'.repeat(32), JWT_JWKS_FILE: '/keys.json' })).toThrow(/got JWT_SECRET, JWT_JWKS_FILE/);
    expect(() => loadConfig({ AUTH_MODE: 'jwt', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET must be at least 32 characters/);
    expect(loadConfig({ AUTH_MODE: 'jwt', JWT_JWKS_URL: 'https://idp.test/jwks' }).auth).toEqual({
      mode: 'jwt',
      key: { kind: 'jwks-url', url: 'https://idp.test/jwks' },
      tenantClaim: 'tenant',
      audience: undefined,
      issuer: undefined,
    });
  });

  it('refuses a generated admin token in production, naming ADMIN_TOKEN', async () => {
    const config = loadConfig({ NODE_ENV: 'production', AUTH_MODE: 'apikey', DATA_DIR: 'memory://' });
    await expect(startApp(config)).rejects.toThrow(/ADMIN_TOKEN must be set when NODE_ENV=production/);
  });

  // Breaking row-level security on a shared external database would break other tests.
  it.skipIf(testDatabaseUrl() !== undefined)('refuses to serve when row-level security does not hold', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'narwhal-rls-'));
    try {
      const first = await startTestApp({ env: { DATA_DIR: dataDir } });
      await sql`alter table documents no force row level security`.execute(first.db);
      await first.close();
      await expect(startTestApp({ env: { DATA_DIR: dataDir } })).rejects.toThrow(
        /Row-level security does not hold tenant requests; refusing to serve:\n- documents does not force row-level security/,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
