import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/test-app.js';
import { startGatedEmbeddingsServer } from './gated-embeddings-server.js';

type Server = { child: ChildProcess; url: string; port: number; lines: Record<string, unknown>[]; exited: Promise<number | null> };

let dataDir: string;
let embeddings: Awaited<ReturnType<typeof startGatedEmbeddingsServer>>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'narwhal-sigterm-'));
  embeddings = await startGatedEmbeddingsServer();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  embeddings.release();
  await embeddings.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** `npm start` as production runs it, on a port of its own choosing, with the gated model. */
async function startServer(): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: join(import.meta.dirname, '../..'),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...embeddings.serverEnv(dataDir),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const lines: Record<string, unknown>[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      lines.push(record);
      const found = /GraphQL and GraphiQL at (\S+)/.exec(String(record.msg));
      if (found) resolve(found[1]!);
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening:\n${stderr}`)));
  });
  return { child, url, port: Number(new URL(url).port), lines, exited };
}

async function gql(url: string, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: unknown[] } };
}

async function until(condition: () => boolean | Promise<boolean>) {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 25));
}

const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

// Two server starts, each with its own engine: slow on a shared machine.
describe('SIGTERM', { timeout: 300_000 }, () => {
  it('stops taking connections, finishes every in-flight request, closes cleanly and exits 0; the data survives a restart', async () => {
    const first = await startServer();
    const created = await gql(first.url, 'mutation { createTenant(input: { slug: "sigterm" }) { slug } }', {
      authorization: `Bearer ${ADMIN_TOKEN}`,
    });
    expect(created.body.errors).toBeUndefined();

    // Three writes that wait on the model, so they are in flight when the signal arrives.
    embeddings.hold();
    const contents = ['first in flight', 'second in flight', 'third in flight'];
    const writes = contents.map((content, i) =>
      gql(first.url, `mutation { upsertDocuments(documents: [{ externalId: "doc-${i}", content: "${content}" }]) { documents { externalId } } }`, {
        'x-tenant-id': 'sigterm',
      }),
    );
    await until(() => contents.every((content) => embeddings.received.includes(content)));

    first.child.kill('SIGTERM');
    await until(() => refusesConnections(first.port));
    embeddings.release();

    const answers = await Promise.all(writes);
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ data: { upsertDocuments: { documents: [{ externalId: `doc-${i}` }] } } });
    });
    expect(await first.exited).toBe(0);
    expect(first.lines.some((line) => line.msg === 'closed cleanly')).toBe(true);
    expect(first.lines.filter((line) => line.msg === 'graphql request' && line.tenant === 'sigterm' && line.outcome === 'ok')).toHaveLength(3);

    const second = await startServer();
    const listed = await gql(second.url, '{ documents(first: 10) { edges { node { externalId } } } }', { 'x-tenant-id': 'sigterm' });
    expect(listed.body.data.documents.edges.map((edge: { node: { externalId: string } }) => edge.node.externalId).sort()).toEqual([
      'doc-0',
      'doc-1',
      'doc-2',
    ]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
