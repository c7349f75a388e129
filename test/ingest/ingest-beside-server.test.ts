import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/test-app.js';
import { startGatedEmbeddingsServer } from '../lifecycle/gated-embeddings-server.js';

// `npm run ingest` beside a running server on the same DATA_DIR: it used to load into its own
// copy of the embedded database, print "done: 30 loaded", exit 0, and lose everything when the
// server next wrote its files. Now it refuses, naming the server; with --server it loads through
// the server's API, and the documents survive a restart.

const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);
let dir: string;
let embeddings: Awaited<ReturnType<typeof startGatedEmbeddingsServer>>;
const children: ChildProcess[] = [];

const serverEnv = () => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  ...embeddings.serverEnv(join(dir, 'data')),
  AUTH_MODE: 'apikey',
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'narwhal-ingest-beside-'));
  await mkdir(join(dir, 'data'));
  embeddings = await startGatedEmbeddingsServer();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await embeddings.close();
  await rm(dir, { recursive: true, force: true });
});

async function startServer() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = /GraphQL and GraphiQL at (\S+?)"/.exec(line);
      if (found) resolve(found[1]!);
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening:\n${stderr}`)));
  });
  return { child, url, exited };
}

async function gql(url: string, query: string, token: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

async function ingest(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ['--import', 'tsx', 'src/bin/ingest.ts', '--progress-interval', '0', ...args], {
    cwd: ROOT,
    env: { ...serverEnv(), ADMIN_TOKEN: '', ...env },
  }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

const lines = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => JSON.stringify({ externalId: `doc-${from + i}`, content: `document number ${from + i}` }));

describe('npm run ingest beside a running server', { timeout: 600_000 }, () => {
  it('refuses to open the server\'s DATA_DIR, loads through --server (admin token or API key), and nothing is lost on restart', async () => {
    const server = await startServer();
    await gql(server.url, 'mutation { createTenant(input: { slug: "beside" }) { slug } }', ADMIN_TOKEN);
    const file = join(dir, 'thirty.jsonl');
    await writeFile(file, lines(0, 30).join('\n'));

    const refused = await ingest(['--tenant', 'beside', file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`is in use by server (pid ${server.child.pid}`);
    expect(refused.stderr).toContain(`npm run ingest -- --server ${server.url}`);
    expect(refused.stderr).not.toContain('loaded');

    // The admin token: the server wants API keys, so one is made for the run and revoked after it.
    const viaAdmin = await ingest(['--server', server.url, '--tenant', 'beside', file], { ADMIN_TOKEN });
    expect(viaAdmin.stderr).toMatch(/^\[ingest\] done: 30 loaded, 0 rejected in /m);
    expect(viaAdmin.stderr).toMatch(/^\[ingest\] 30 loaded, 0 rejected, 100% of [\d.]+ K?B read/m);
    expect(viaAdmin.code).toBe(0);
    const keys = await gql(server.url, '{ tenantBySlug(slug: "beside") { apiKeys { revokedAt } } }', ADMIN_TOKEN);
    expect(keys.tenantBySlug.apiKeys).toEqual([{ revokedAt: expect.any(String) }]);

    // The tenant's own API key names the tenant; a bad line is rejected, the rest load, exit 2.
    const created = await gql(server.url, 'mutation { createApiKey(slug: "beside", name: "loader") { key } }', ADMIN_TOKEN);
    const mixed = join(dir, 'mixed.jsonl');
    await writeFile(mixed, [...lines(30, 1), '{"externalId":"bad","content":""}', ...lines(31, 1)].join('\n'));
    const viaKey = await ingest(['--server', server.url, mixed], { NARWHAL_API_KEY: created.createApiKey.key });
    expect(viaKey.code).toBe(2);
    expect(viaKey.stderr).toContain('[ingest] line 2: content: must not be empty');
    expect(viaKey.stderr).toMatch(/^\[ingest\] done: 2 loaded, 1 rejected in /m);
    const rejects = (await readFile(`${mixed}.rejects.jsonl`, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(rejects).toEqual([{ line: 2, error: 'content: must not be empty', input: { externalId: 'bad', content: '' } }]);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const restarted = await startServer();
    const after = await gql(restarted.url, '{ tenantBySlug(slug: "beside") { documentCount } }', ADMIN_TOKEN);
    expect(after.tenantBySlug.documentCount).toBe(32);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
  });
});
