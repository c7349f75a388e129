import { once } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';
import { basename } from 'node:path';
import type { Engine } from '../engine.js';
import { lockDataDir } from './data-dir-lock.js';
import { EngineChannel } from './engine-channel.js';

/**
 * PostgreSQL settings of the embedded engine (its postgresql.conf, which PGlite rewrites at every
 * start; compiled-in defaults otherwise). PGlite's memory is a 2 GB WebAssembly heap, of which
 * these take at most about half. Measured with one tenant of 100,000 vectors of 512 dimensions
 * (its table and HNSW index are about 480 MB; bench/search/search.ts and a probe of the same search):
 * - shared_buffers 128MB (the default) holds a quarter of it: searches read pages through
 *   PGlite's file system, p50 11.9 ms; with 512MB, 4.4-4.7 ms. Resident memory grows only as pages
 *   are read, but setting the pool up costs at start: an in-memory engine started in 5.3-5.7 s
 *   against 3.7-4.1 s with the default (256MB: 4.0-4.6 s).
 * - maintenance_work_mem 64MB (the default) cannot hold the index's graph while it is built, and
 *   pgvector's on-disk build took 590 s; with 512MB, 106 s. Only index builds and VACUUM use it.
 */
const EMBEDDED_SETTINGS = ['shared_buffers = 512MB', 'maintenance_work_mem = 512MB'];

/**
 * How long a client of the embedded engine waits while another holds its one backend (inside a
 * transaction, or one long statement) before its statement fails with SQLSTATE 53300, which the
 * server answers as DATABASE_UNAVAILABLE: as long as the pool waits for a connection.
 */
const EMBEDDED_TURN_WAIT_MS = 5000;

/**
 * Starts PGlite (PostgreSQL in WASM, with pgvector) in a worker thread. The application talks to
 * it through the same pg Pool and Kysely code as to an external server, its bytes carried by a
 * MessagePort (engine-channel.ts); psql and other clients reach it on a loopback port (url), all
 * at once, taking turns at transaction boundaries.
 * dataDir is a directory path, or `memory://` for a throwaway database.
 */
export async function startEmbeddedEngine(options: {
  dataDir: string;
  port: number;
  /** How long a client waits for another's transaction on the one backend (engine-turns.mjs). */
  turnWaitMs?: number;
  /** What this process is, as another process refused the directory is told (default: its script). */
  role?: string;
  /** fsync each commit before it is acknowledged (EMBEDDED_FSYNC; default true). */
  durable?: boolean;
}): Promise<Engine> {
  // One process per data directory (data-dir-lock.ts); memory:// is this process's alone anyway.
  const lock = options.dataDir.startsWith('memory://') ? undefined : lockDataDir(options.dataDir, options.role ?? basename(process.argv[1] ?? 'node'));
  try {
    const engine = await startWorker(options);
    if (!lock) return engine;
    return {
      ...engine,
      announce: (url) => lock.announce(url),
      close: () => engine.close().finally(() => lock.release()),
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function startWorker(options: { dataDir: string; port: number; turnWaitMs?: number; durable?: boolean }): Promise<Engine> {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./embedded-engine.worker.mjs', import.meta.url), {
    workerData: {
      dataDir: options.dataDir,
      listenPort: options.port,
      settings: EMBEDDED_SETTINGS,
      turnWaitMs: options.turnWaitMs ?? EMBEDDED_TURN_WAIT_MS,
      durable: options.durable ?? true,
      channel: port2,
    },
    transferList: [port2],
  });
  const channel = new EngineChannel(port1);
  const [started] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([error]) => { throw error; })])) as [
    { ready: boolean; conn?: string; error?: string },
  ];
  if (!started.ready) {
    channel.shutDown();
    await worker.terminate();
    throw new Error(`The embedded PostgreSQL engine did not start: ${started.error}`);
  }
  let closing: Promise<void> | undefined;
  return {
    kind: 'embedded',
    url: `postgres://postgres@${started.conn}/postgres?sslmode=disable`,
    maxPoolSize: 1,
    stream: channel.stream,
    close() {
      // A clean close checkpoints PGlite's files; the worker ends once it has.
      closing ??= (async () => {
        const closed = once(worker, 'message');
        worker.postMessage('close');
        const [reply] = (await closed) as [{ closed: boolean; error?: string }];
        channel.shutDown();
        await worker.terminate();
        if (!reply.closed) throw new Error(`The embedded PostgreSQL engine did not close cleanly: ${reply.error}`);
      })();
      return closing;
    },
  };
}
