import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/test-app.js';
import { startGatedEmbeddingsServer } from './gated-embeddings-server.js';

// A server whose stdout is a pipe that its reader (a log shipper, a supervisor) stops draining,
// and then leaves. The pipe here is a FIFO whose read end the test holds, so it decides exactly
// when the reader reads, stalls and goes.

let dir: string;
let embeddings: Awaited<ReturnType<typeof startGatedEmbeddingsServer>>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'narwhal-stalled-stdout-'));
  embeddings = await startGatedEmbeddingsServer();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  embeddings.release();
  await embeddings.close();
  await rm(dir, { recursive: true, force: true });
});

type Server = { child: ChildProcess; url: string; port: number; exited: Promise<number | null>; leaveReader: () => void };

async function startServer(name: string): Promise<Server> {
  mkdirSync(join(dir, name));
  const fifo = join(dir, `${name}.stdout`);
  execFileSync('mkfifo', [fifo]);
  // Opening the read end first without blocking lets the write end open at once.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: join(import.meta.dirname, '../..'),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...embeddings.serverEnv(join(dir, name)),
      SHUTDOWN_TIMEOUT_MS: '600000',
    },
    stdio: ['ignore', writer, 'pipe'],
  });
  closeSync(writer);
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  // Read until the server says where it listens; from then on, nobody reads.
  let output = '';
  const buffer = Buffer.alloc(65536);
  let found: RegExpExecArray | null = null;
  while (!(found = /GraphQL and GraphiQL at (\S+?)"/.exec(output))) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before listening:\n${stderr}`);
    try {
      output += buffer.toString('utf8', 0, readSync(reader, buffer));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const url = found[1]!;
  return { child, url, port: Number(new URL(url).port), exited, leaveReader: () => closeSync(reader) };
}

async function gql(url: string, query: string, headers: Record<string, string> = {}, operationName?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, operationName }),
  });
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

/**
 * Requests until the server has logged far more than a pipe holds (64 KiB on Linux): every one
 * writes a request line, with a 128-character operation name to make the lines long.
 */
async function fillStdout(url: string) {
  const name = `Fill${'x'.repeat(124)}`;
  for (let round = 0; round < 40; round += 1) {
    await Promise.all(Array.from({ length: 25 }, () => gql(url, `query ${name} { __typename }`, {}, name)));
  }
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

async function until(condition: () => boolean | Promise<boolean>) {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('a server whose stdout is not being read', { timeout: 400_000 }, () => {
  it('SIGTERM with the pipe full: the server exits by itself, though nobody reads its last lines', async () => {
    const server = await startServer('full');
    await fillStdout(server.url);
    server.child.kill('SIGTERM');
    await until(() => refusesConnections(server.port));
    expect(await server.exited).toBe(0);
    // The reader leaves only now; before the fix the server waited for it for ever, and then
    // retried the broken pipe for ever.
    server.leaveReader();
  });

  it('a second SIGTERM ends the process at once, with the pipe full and a request still in flight', async () => {
    const server = await startServer('second-signal');
    const created = await gql(server.url, 'mutation { createTenant(input: { slug: "stalled" }) { slug } }', {
      authorization: `Bearer ${ADMIN_TOKEN}`,
    });
    expect(created.errors).toBeUndefined();
    await fillStdout(server.url);
    embeddings.hold();
    const held = embeddings.received.length;
    const write = gql(server.url, 'mutation { upsertDocuments(documents: [{ content: "held" }]) { documents { id } } }', {
      'x-tenant-id': 'stalled',
    }).catch((error: unknown) => error);
    await until(() => embeddings.received.length > held);

    server.child.kill('SIGTERM');
    await until(() => refusesConnections(server.port));
    // The first signal waits for the request in flight (SHUTDOWN_TIMEOUT_MS is 10 minutes).
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(1);
    server.leaveReader();
    embeddings.release();
    await write;
  });
});
