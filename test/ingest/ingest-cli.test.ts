import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { findIndexSizeBytes } from '../../src/tenants/maintenance.service.js';
import { countDocuments, createTenant, findTenantBySlug } from '../../src/tenants/tenant.service.js';
import type { Tenant } from '../../src/tenants/tenant.js';
import { createHashingEmbedder } from '../helpers/hashing-embedder.js';

const run = promisify(execFile);
let dir: string;
const config = () => loadConfig({ NODE_ENV: 'test', DATA_DIR: join(dir, 'data'), SEED_DEMO: 'false' });

// The CLI opens the embedded engine in DATA_DIR itself, so the tenant is created beforehand by an
// app on the same directory that is closed again (the engine allows one process at a time).
// It embeds with the real default model (no configuration switches the embedder), which is what
// makes this test take several seconds.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'narwhal-ingest-cli-'));
  const app = await startApp(config(), { embedder: createHashingEmbedder().provider });
  await createTenant(app.deps, { slug: 'acme', placement: 'DEDICATED' });
  await app.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ingest(args: string[]) {
  // execFile's stderr is a pipe, not a terminal: the CLI prints plain progress lines.
  return run('node', ['--import', 'tsx', 'src/bin/ingest.ts', ...args], {
    env: { ...process.env, DATA_DIR: join(dir, 'data'), DATABASE_URL: '', SEED_DEMO: '' },
  });
}

// Each CLI run starts the engine and the real model in a process of its own: slow on a shared machine.
describe('npm run ingest', { timeout: 300_000 }, () => {
  it('loads the good lines, exits 2 naming the bad line, prints plain progress and a summary, rebuilds the index', async () => {
    const file = join(dir, 'docs.jsonl');
    await writeFile(
      file,
      [
        '{"externalId":"1","content":"The cat sat on the mat."}',
        '{"externalId":"2","content":',
        '{"_id":"3","title":"Dogs","text":"Dogs bark at night."}',
        '{"externalId":"4","content":"Birds sing in the morning."}',
      ].join('\n'),
    );
    const failure = await ingest(['--tenant', 'acme', '--progress-interval', '0', '--build-index-after', file]).catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 2 });
    const { stderr } = failure as { stderr: string };
    expect(stderr).toContain('[ingest] line 2: invalid JSON');
    expect(stderr).toMatch(/^\[ingest\] 3 loaded, 1 rejected, 100% of \d+ B read, [\d.]+ docs\/s/m);
    expect(stderr).toMatch(/^\[ingest\] done: 3 loaded, 1 rejected in [\d.]+ s \([\d.]+ docs\/s\)$/m);
    expect(stderr).not.toContain('\x1b[');
    expect(stderr).toContain('[ingest] dropped the HNSW index of acme');
    expect(stderr).toMatch(/^\[ingest\] HNSW index built in \d+s$/m);
    const rejects = (await readFile(`${file}.rejects.jsonl`, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(rejects).toEqual([{ line: 2, error: expect.stringMatching(/^invalid JSON/), input: '{"externalId":"2","content":' }]);

    const app = await startApp(config(), { embedder: createHashingEmbedder().provider });
    try {
      const tenant = (await findTenantBySlug(app.deps, 'acme')) as Tenant;
      expect(await countDocuments(app.deps, tenant)).toBe(3);
      expect(await findIndexSizeBytes(app.deps, tenant)).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });

  it('exits 1 when the tenant does not exist, and 0 with usage for --help', async () => {
    const file = join(dir, 'one.jsonl');
    await writeFile(file, '{"content":"x"}\n');
    await expect(ingest(['--tenant', 'no-such-tenant', file])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('TENANT_NOT_FOUND'),
    });
    const help = await ingest(['--help']);
    expect(help.stdout).toContain('Usage: npm run ingest -- --tenant <slug>');
    expect(help.stdout).toContain('npm run ingest -- --server <url>');
  });
});
