import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offloadPauseMessage } from '../../src/tenants/offload-pause.js';
import { startGatedEmbeddingsServer } from '../lifecycle/gated-embeddings-server.js';
import { seededVector } from '../helpers/tenant-answers.js';
import { ADMIN_TOKEN } from '../helpers/test-app.js';
import { testDatabaseUrl } from '../helpers/test-database.js';

// kill -9 a real server process in the middle of an offload and of a restore (OFFLOAD_TEST_PAUSE
// stops it at a chosen step and says so on stderr), start another on the same database and
// OFFLOAD_DIR, and check the tenant is whole in the database or whole in its file.

const DIMENSIONS = 512;
const DOCUMENTS = 120;
type Server = { child: ChildProcess; url: string; stderr: () => string; exited: Promise<unknown> };

let dataDir: string;
let offloadDir: string;
let embeddings: Awaited<ReturnType<typeof startGatedEmbeddingsServer>>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'narwhal-offload-crash-'));
  offloadDir = join(dataDir, 'offload');
  embeddings = await startGatedEmbeddingsServer(DIMENSIONS);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await embeddings.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(pause?: string): Promise<Server> {
  const external = testDatabaseUrl();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: join(import.meta.dirname, '../..'),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...embeddings.serverEnv(dataDir),
      PROMOTION_THRESHOLD: '0',
      // On the embedded engine, the default: DATA_DIR/offload. An external database needs it named.
      ...(external ? { DATABASE_URL: external, OFFLOAD_DIR: offloadDir } : {}),
      ...(pause ? { OFFLOAD_TEST_PAUSE: pause } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const record = JSON.parse(line) as { msg?: unknown };
      const found = /GraphQL and GraphiQL at (\S+)/.exec(String(record.msg));
      if (found) resolve(found[1]!);
    });
    void exited.then(() => reject(new Error(`server exited before listening:\n${stderr}`)));
  });
  return { child, url, stderr: () => stderr, exited };
}

async function kill9(server: Server): Promise<void> {
  server.child.kill('SIGKILL');
  await server.exited;
}

async function gql(server: Server, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  if (!text) throw new Error(`HTTP ${response.status} with an empty body`);
  return JSON.parse(text) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}
const admin = (server: Server, query: string, variables: Record<string, unknown> = {}) =>
  gql(server, query, variables, { authorization: `Bearer ${ADMIN_TOKEN}` });
const as = (server: Server, slug: string, query: string, variables: Record<string, unknown> = {}) =>
  gql(server, query, variables, { 'x-tenant-id': slug });

const SEARCH = `query($v: [Float!]!) { search(vector: $v, first: 10, efSearch: 1000) {
  hits { distance document { externalId content metadata createdAt updatedAt } } } }`;
const PROBES = [seededVector(9001, DIMENSIONS), seededVector(9002, DIMENSIONS), seededVector(9003, DIMENSIONS)];

async function answers(server: Server, slug: string) {
  const all = [];
  for (const v of PROBES) {
    const result = await as(server, slug, SEARCH, { v });
    if (result.errors) return result.errors.map((error) => error.extensions?.code);
    all.push(result.data.search.hits);
  }
  return all;
}

async function state(server: Server, slug: string) {
  return (await admin(server, 'query($s: String!) { tenantBySlug(slug: $s) { state documentCount } }', { s: slug })).data.tenantBySlug;
}

async function until(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 25));
}

/** Starts the operation, waits for the server to reach the pause, and kills it there. */
async function crashAt(server: Server, point: string, operation: string, slug: string) {
  void admin(server, `mutation($s: String!) { ${operation}(slug: $s) { state } }`, { s: slug }).catch(() => undefined);
  await until(() => server.stderr().includes(offloadPauseMessage(point as 'archived')));
  await kill9(server);
}

const filesIn = async () => (await readdir(offloadDir).catch(() => [] as string[])).sort();
const sha256 = async (name: string) => createHash('sha256').update(await readFile(join(offloadDir, name))).digest('hex');

// Four server starts, three of them killed: slow on a shared machine.
describe('offload under kill -9', { timeout: 600_000 }, () => {
  it('leaves the tenant whole in the database or whole in its file, whichever step the crash hits', async () => {
    const slug = `crash-${Date.now().toString(36)}`;
    let server = await startServer('archived');
    const created = await admin(server, 'mutation($i: CreateTenantInput!) { createTenant(input: $i) { slug } }', {
      i: { slug, placement: 'DEDICATED', hnsw: { m: 8, efConstruction: 32 } },
    });
    expect(created.errors).toBeUndefined();
    const d = Array.from({ length: DOCUMENTS }, (_, i) => ({
      externalId: `doc-${i}`,
      content: `document ${i}`,
      metadata: { i },
      embedding: seededVector(i + 1, DIMENSIONS),
    }));
    expect((await as(server, slug, 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { externalId } } }', { d })).errors).toBeUndefined();
    const before = await answers(server, slug);
    expect(before).toHaveLength(PROBES.length);

    // 1. Killed with the archive durable, before the rows are touched: whole in the database.
    await crashAt(server, 'archived', 'offloadTenant', slug);
    const strays = await filesIn();
    expect(strays).toHaveLength(1);
    server = await startServer('removed');
    expect(await state(server, slug)).toEqual({ state: 'ACTIVE', documentCount: DOCUMENTS });
    expect(await answers(server, slug)).toEqual(before);

    // 2. Killed with the rows dropped and the state set, uncommitted: rolled back, whole in the database.
    await crashAt(server, 'removed', 'offloadTenant', slug);
    server = await startServer('restored');
    expect(await state(server, slug)).toEqual({ state: 'ACTIVE', documentCount: DOCUMENTS });
    expect(await answers(server, slug)).toEqual(before);

    // 3. An offload that commits, then a restore killed before its commit: whole in the file.
    const offloaded = await admin(server, 'mutation($s: String!) { offloadTenant(slug: $s) { state documentCount } }', { s: slug });
    expect(offloaded.data?.offloadTenant).toEqual({ state: 'OFFLOADED', documentCount: DOCUMENTS });
    const [file, ...others] = await filesIn();
    expect(others).toEqual([]); // the strays of the crashed offloads are gone
    expect(strays).not.toContain(file);
    const checksum = await sha256(file!);
    await crashAt(server, 'restored', 'activateTenant', slug);

    server = await startServer();
    try {
      expect(await state(server, slug)).toEqual({ state: 'OFFLOADED', documentCount: DOCUMENTS });
      expect(await answers(server, slug)).toEqual(['TENANT_OFFLOADED']);
      expect(await filesIn()).toEqual([file]);
      expect(await sha256(file!)).toBe(checksum);
      const restored = await admin(server, 'mutation($s: String!) { activateTenant(slug: $s) { state documentCount indexSizeBytes } }', { s: slug });
      expect(restored.errors).toBeUndefined();
      expect(restored.data.activateTenant).toMatchObject({ state: 'ACTIVE', documentCount: DOCUMENTS });
      expect(restored.data.activateTenant.indexSizeBytes).toBeGreaterThan(0);
      expect(await answers(server, slug)).toEqual(before);
      expect(await filesIn()).toEqual([]);
    } finally {
      await kill9(server);
    }
  });
});
