import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveOnLoopback } from '../helpers/http-server.js';
import { HNSW_LIMITS } from '../../src/tenants/tenant.js';
import { ADMIN_TOKEN, type TestApp, startTestApp } from '../helpers/test-app.js';

const run = promisify(execFile);
let t: TestApp;
let server: Awaited<ReturnType<typeof serveOnLoopback>>;

beforeAll(async () => {
  t = await startTestApp();
  server = await serveOnLoopback(t.app.yoga);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

function admin(args: string[], token = ADMIN_TOKEN) {
  return run('node', ['--import', 'tsx', 'src/bin/admin.ts', ...args], {
    env: { ...process.env, NARWHAL_URL: server.url, ADMIN_TOKEN: token },
  });
}

describe('npm run admin', () => {
  it('promotes a tenant and lists it through the running server', async () => {
    const slug = await t.createTenant('cli');
    const promoted = JSON.parse((await admin(['promote', slug])).stdout);
    expect(promoted.promoteTenant).toMatchObject({ slug, placement: 'DEDICATED', state: 'ACTIVE' });
    const listed = JSON.parse((await admin(['list', '--state', 'ACTIVE'])).stdout);
    expect(listed.tenants.map((x: { slug: string }) => x.slug)).toContain(slug);
  });

  it('exits non-zero with the error code on failure, and with usage on a bad command', async () => {
    await expect(admin(['promote', 'no-such-tenant'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('TENANT_NOT_FOUND') });
    await expect(admin(['list'], 'wrong-token-0000000000')).rejects.toMatchObject({ stderr: expect.stringContaining('FORBIDDEN') });
    await expect(admin(['frobnicate'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Usage') });
  });

  it('prints the usage on --help, -h and help, with the true defaults, and exits 0', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const { stdout, stderr } = await admin([flag]);
      expect(stdout).toContain('Usage:');
      expect(stdout).toContain(`--ef-construction ${HNSW_LIMITS.efConstruction.default}`);
      expect(stdout).toContain(`--m ${HNSW_LIMITS.m.default}`);
      expect(stderr).toBe('');
    }
  });

  it('refuses an unknown command, option, misplaced option or non-integer with a message and exit 2', async () => {
    const refusals: [string[], string][] = [
      [['frobnicate'], 'Unknown command "frobnicate"'],
      [[], 'No command given'],
      [['list', '--bogus'], "Unknown option '--bogus'"],
      [['list', '--m', '3'], '--m does not apply to list'],
      [['rebuild-index', 'x', '--m', 'many'], '--m must be an integer, got "many"'],
      [['promote'], 'promote needs a tenant slug'],
    ];
    for (const [args, message] of refusals) {
      await expect(admin(args), args.join(' ')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
    }
  });

  it('show of an unknown tenant says so and exits 1, printing nothing', async () => {
    await expect(admin(['show', 'no-such-tenant'])).rejects.toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringContaining('no tenant has the slug "no-such-tenant"'),
    });
  });
});
