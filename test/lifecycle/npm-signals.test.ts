import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTenant } from '../../src/tenants/tenant.service.js';
import { startGatedEmbeddingsServer } from './gated-embeddings-server.js';
import { type NpmScript, descendantPids, isRunning, runNpmScript, until, waitForOutput } from './npm-script.js';

// A signal sent to the npm process (as a supervisor, a terminal or `kill <pid of npm>` sends it)
// must reach what npm started: npm forwards it to its child, which must be the node process
// itself and not a shell that dies and leaves node running, holding the port and DATA_DIR.

let dir: string;
let embeddings: Awaited<ReturnType<typeof startGatedEmbeddingsServer>>;
const scripts: NpmScript[] = [];
/** Every process a script started, so none outlives a failed test. */
const started = new Set<number>();

const env = () => ({
  ...embeddings.serverEnv(join(dir, 'data')),
  EMBEDDED_DB_PORT: '0',
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'narwhal-npm-signals-'));
  await mkdir(join(dir, 'data'));
  embeddings = await startGatedEmbeddingsServer();
});
afterAll(async () => {
  for (const script of scripts) for (const pid of [script.child.pid!, ...descendantPids(script.child.pid!)]) started.add(pid);
  for (const pid of started) kill(pid);
  embeddings.release();
  await embeddings.close();
  await rm(dir, { recursive: true, force: true });
});

function kill(pid: number) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function start(args: string[]): NpmScript {
  const script = runNpmScript(args, env());
  scripts.push(script);
  return script;
}

/** Sends SIGTERM to npm and waits for npm and every process it started to end. */
async function terminate(script: NpmScript): Promise<number[]> {
  const pids = descendantPids(script.child.pid!);
  for (const pid of pids) started.add(pid);
  expect(pids.length).toBeGreaterThan(0);
  script.child.kill('SIGTERM');
  await script.exited;
  await until(() => pids.every((pid) => !isRunning(pid)));
  return pids;
}

// Each test starts one or two processes that load the engine: slow on a shared machine.
describe('SIGTERM to the npm process', { timeout: 240_000 }, () => {
  it('npm start: the server shuts down gracefully and nothing is left running', async () => {
    const server = start(['start']);
    await waitForOutput(server, 'GraphQL and GraphiQL at');
    await terminate(server);
    expect(server.output()).toContain('"msg":"closed cleanly"');
  });

  it('npm run db:embedded: the engine closes cleanly and nothing is left running', async () => {
    const engine = start(['run', 'db:embedded']);
    await waitForOutput(engine, 'Embedded PostgreSQL (PGlite) at');
    await terminate(engine);
    expect(engine.output()).toContain('embedded PostgreSQL closed cleanly');
  });

  it('npm run ingest: the batch in flight finishes, the run stops and reports it, nothing is left running', async () => {
    const config = loadConfig({ ...env(), DATABASE_URL: '' });
    const app = await startApp(config);
    await createTenant(app.deps, { slug: 'signals' });
    await app.close();
    const file = join(dir, 'docs.jsonl');
    await writeFile(file, Array.from({ length: 20 }, (_, i) => JSON.stringify({ externalId: `d${i}`, content: `document ${i}` })).join('\n'));

    embeddings.hold();
    const received = embeddings.received.length;
    const ingest = start(['run', 'ingest', '--', '--tenant', 'signals', '--batch-size', '5', '--progress-interval', '0', file]);
    await until(() => embeddings.received.length > received || ingest.child.exitCode !== null);
    const stopping = terminate(ingest);
    await waitForOutput(ingest, 'interrupted by SIGTERM');
    embeddings.release();
    await stopping;
    expect(ingest.output()).toMatch(/interrupted after \d+ records were read/);
    expect(await ingest.exited).toBe(143);
  });
});
