import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type TestApp, startTestApp } from '../helpers/test-app.js';

const run = promisify(execFile);
let t: TestApp;
let server: Server;
let url: string;

beforeAll(async () => {
  t = await startTestApp();
  server = createServer(t.app.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

function admin(args: string[], token = ADMIN_TOKEN) {
  return run('node', ['--import', 'tsx', 'src/bin/admin.ts', ...args], {
    env: { ...process.env, NARWHAL_URL: url, ADMIN_TOKEN: token },
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
});
