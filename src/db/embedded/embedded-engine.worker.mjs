// @ts-check
// Runs the embedded PostgreSQL (PGlite, WASM) in a worker thread, so a long statement (an index
// build, a bulk insert) never stalls the event loop that serves HTTP, and query execution overlaps
// GraphQL work on another core. Clients reach it two ways, side by side: the server's own pool
// through a MessagePort (engine-channel.ts), and psql or any DATABASE_URL client through a
// loopback TCP port. Plain JavaScript so it starts the same under node, tsx and vitest.
import { createServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_textsearch } from '@electric-sql/pglite-pg_textsearch';
import { vector } from '@electric-sql/pglite-pgvector';
import { DURABLE_SETTINGS, durableOptions } from './durable-filesystem.mjs';
import { EmbeddedSession } from './embedded-session.mjs';
import { EngineTurns } from './engine-turns.mjs';

if (!parentPort) throw new Error('embedded-engine.worker must run in a worker thread');
const control = parentPort;
const { dataDir, listenPort, settings, turnWaitMs, durable, channel } = /**
  @type {{ dataDir: string, listenPort: number, settings: string[], turnWaitMs: number, durable: boolean, channel: import('node:worker_threads').MessagePort }} */ (workerData);

try {
  // pg_textsearch gives keyword search true BM25 ranking (migration 0008 creates its index).
  const extensions = { vector, pg_textsearch };
  // Durable: a commit is fsynced before it is acknowledged (durable-filesystem.mjs). memory:// has no disk.
  const db =
    durable && !dataDir.startsWith('memory://')
      ? await PGlite.create({ ...durableOptions(dataDir), extensions, postgresqlconf: [...settings, ...DURABLE_SETTINGS] })
      : await PGlite.create(dataDir, { extensions, postgresqlconf: settings });

  // PGlite is one backend session: its clients take turns at transaction boundaries (engine-turns.mjs),
  // each with its own prepared statements and session settings (embedded-session.mjs).
  const turns = await EngineTurns.create(db, turnWaitMs);
  /** @type {Map<EmbeddedSession, () => void>} the open sessions, each with how to hang up on its client */
  const sessions = new Map();
  let nextId = 1;
  /** @param {'tcp' | 'channel'} kind @param {import('./embedded-session.mjs').Transport} transport @param {() => void} hangUp */
  const open = (kind, transport, hangUp) => {
    const session = new EmbeddedSession(db, turns, nextId++, kind, transport, () => sessions.delete(session));
    sessions.set(session, hangUp);
    return session;
  };

  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    socket.on('error', () => {}); // 'close' follows, and ends the session
    const session = open('tcp', { send: (bytes) => socket.write(bytes), end: () => socket.end() }, () => socket.destroy());
    socket.on('data', (chunk) => session.receive(chunk));
    socket.on('close', () => void session.close());
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve(undefined));
  });

  /** @type {Map<number, EmbeddedSession>} */
  const channelSessions = new Map();
  channel.on('message', (/** @type {{ id: number, open?: true, data?: Uint8Array, close?: true }} */ message) => {
    const { id } = message;
    // Answers are fresh copies (embedded-session.mjs), so their memory moves instead of being copied again.
    const send = (/** @type {Uint8Array} */ bytes) => channel.postMessage({ id, data: bytes }, [bytes.buffer]);
    const end = () => {
      channelSessions.delete(id);
      channel.postMessage({ id, end: true });
    };
    if (message.open) {
      channelSessions.set(id, open('channel', { send, end }, end));
    } else if (message.data) {
      channelSessions.get(id)?.receive(message.data);
    } else if (message.close) {
      const session = channelSessions.get(id);
      channelSessions.delete(id);
      void session?.close();
    }
  });

  control.on('message', async (/** @type {string} */ message) => {
    if (message !== 'close') return;
    try {
      // Each open session's statement finishes (and a transaction left open rolls back) first.
      const open = [...sessions];
      await Promise.all(open.map(([session]) => session.close()));
      for (const [, hangUp] of open) hangUp();
      // A client may never close its end; the server waits for every socket to close.
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      await db.close();
      control.postMessage({ closed: true });
    } catch (error) {
      control.postMessage({ closed: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  control.postMessage({ ready: true, conn: `127.0.0.1:${address.port}` });
} catch (error) {
  control.postMessage({ ready: false, error: error instanceof Error ? error.stack ?? error.message : String(error) });
}
