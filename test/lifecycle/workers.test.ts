import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFreshDatabase, freshDatabaseUrl } from '../helpers/fresh-database.js';
import { testDatabaseUrl } from '../helpers/test-database.js';
import { startGatedEmbeddingsServer } from './gated-embeddings-server.js';

// WORKERS > 1 runs only on an external database (the embedded engine serves one process).
describe.skipIf(!testDatabaseUrl())('WORKERS: server processes sharing one port', () => {
  let dataDir: string;
  let embeddings: Awaited<ReturnType<typeof startGatedEmbeddingsServer>>;
  let primary: ChildProcess;
  let exited: Promise<number | null>;
  const messages: string[] = [];
  let url: string;
  let databaseUrl: string | undefined;

  const waitFor = (pattern: RegExp, after = 0) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setInterval(() => {
        for (const message of messages.slice(after)) {
          const found = pattern.exec(message);
          if (found) {
            clearInterval(timer);
            resolve(found);
            return;
          }
        }
        if (primary.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`the server exited with ${primary.exitCode}: ${messages.join('\n')}`));
        }
      }, 50);
    });
  // The primary's children that run the server (tsx also starts an esbuild service).
  const workerPids = () =>
    execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(primary.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('src/main.ts'))
      .map((line) => Number.parseInt(line.trim(), 10));
  const typename = async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    return (await response.json()) as unknown;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'narwhal-workers-'));
    embeddings = await startGatedEmbeddingsServer();
    // Its own database: the suite's holds the test embedder's dimensions, not the stand-in's.
    databaseUrl = await freshDatabaseUrl('workers');
    primary = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: join(import.meta.dirname, '../..'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...embeddings.serverEnv(dataDir), DATABASE_URL: databaseUrl as string, WORKERS: '2', PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    exited = new Promise((resolve) => primary.once('exit', (code) => resolve(code)));
    createInterface({ input: primary.stdout! }).on('line', (line) => messages.push(String((JSON.parse(line) as { msg?: unknown }).msg)));
    await waitFor(/2 server workers listening/);
    url = (await waitFor(/GraphQL and GraphiQL at (\S+)/))[1]!;
  }, 120_000);
  afterAll(async () => {
    if (primary?.exitCode === null) primary.kill('SIGKILL');
    embeddings?.release();
    await embeddings?.close();
    await rm(dataDir, { recursive: true, force: true });
    await dropFreshDatabase(databaseUrl);
  });

  it('answers from two worker processes, and replaces one that dies', async () => {
    const [first, second] = workerPids();
    expect(workerPids()).toHaveLength(2);
    expect(await typename()).toEqual({ data: { __typename: 'Query' } });

    const seen = messages.length;
    process.kill(first!, 'SIGKILL');
    await waitFor(/exited \(SIGKILL\); starting another/, seen);
    await waitFor(/GraphQL and GraphiQL at/, seen);
    const now = workerPids();
    expect(now).toHaveLength(2);
    expect(now).toContain(second);
    expect(now).not.toContain(first);
    for (let i = 0; i < 4; i++) expect(await typename()).toEqual({ data: { __typename: 'Query' } });
  }, 120_000);

  it('stops every worker on SIGTERM and exits 0', async () => {
    primary.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(/SIGTERM: stopping 2 server workers/);
  }, 60_000);
});

// A port given, not PORT=0: under node:cluster every worker's listen(0) shares one random port,
// which closes with the worker that opened it.
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
