import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveOnLoopback } from '../helpers/http-server.js';
import { fillTenant } from '../helpers/tenant-answers.js';
import { ADMIN_TOKEN, type TestApp, startTestApp } from '../helpers/test-app.js';

const run = promisify(execFile);
let t: TestApp;
let server: Awaited<ReturnType<typeof serveOnLoopback>>;
let offloadDir: string;

beforeAll(async () => {
  offloadDir = await mkdtemp(join(tmpdir(), 'narwhal-offload-cli-'));
  t = await startTestApp({ env: { OFFLOAD_DIR: offloadDir } });
  server = await serveOnLoopback(t.app.yoga);
});
afterAll(async () => {
  await server.close();
  await t.close();
  await rm(offloadDir, { recursive: true, force: true });
});

function admin(args: string[]) {
  return run('node', ['--import', 'tsx', 'src/bin/admin.ts', ...args], {
    env: { ...process.env, NARWHAL_URL: server.url, ADMIN_TOKEN },
  });
}

describe('npm run admin -- offload / activate / clone', { timeout: 120_000 }, () => {
  it('offloads a tenant, restores it with activate, and clones it', async () => {
    const slug = await t.createTenant('cli-off');
    await fillTenant(t, slug, 12);
    const offloaded = JSON.parse((await admin(['offload', slug])).stdout);
    expect(offloaded.offloadTenant).toMatchObject({ slug, state: 'OFFLOADED', documentCount: 12 });
    await expect(admin(['clone', slug, `${slug}-x`])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('FAILED_PRECONDITION') });
    const restored = JSON.parse((await admin(['activate', slug])).stdout);
    expect(restored.activateTenant).toMatchObject({ state: 'ACTIVE', documentCount: 12 });
    const cloned = JSON.parse((await admin(['clone', slug, `${slug}-copy`])).stdout);
    expect(cloned.cloneTenant).toMatchObject({ slug: `${slug}-copy`, state: 'ACTIVE', documentCount: 12 });
    await expect(admin(['clone', slug, `${slug}-copy`])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('CONFLICT') });
  });

  it('refuses clone without its second slug, and extra arguments, with exit 2', async () => {
    await expect(admin(['clone', 'only-one'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('clone needs a second slug') });
    await expect(admin(['clone', 'a', 'b', 'c'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Unexpected argument "c"') });
    await expect(admin(['offload', 'a', 'b'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Unexpected argument "b"') });
  });
});
