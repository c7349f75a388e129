// @ts-check
// Runs the embedded PostgreSQL (PGlite, WASM) in a worker thread, so a long statement (an index
// build, a bulk insert) never stalls the event loop that serves HTTP, and query execution overlaps
// GraphQL work on another core. Clients reach it two ways, one at a time: the server's own pool
// through a MessagePort (engine-channel.ts), and psql or any DATABASE_URL client through a
// loopback TCP port. Plain JavaScript so it starts the same under node, tsx and vitest.
import { createServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_textsearch } from '@electric-sql/pglite-pg_textsearch';
import { vector } from '@electric-sql/pglite-pgvector';
import { DURABLE_SETTINGS, durableOptions } from './durable-filesystem.mjs';
import { EmbeddedSession, fatal } from './embedded-session.mjs';

if (!parentPort) throw new Error('embedded-engine.worker must run in a worker thread');
const control = parentPort;
const { dataDir, listenPort, settings, durable, channel } = /**
  @type {{ dataDir: string, listenPort: number, settings: string[], durable: boolean, channel: import('node:worker_threads').MessagePort }} */ (workerData);

try {
  // pg_textsearch gives keyword search true BM25 ranking (migration 0008 creates its index).
  const extensions = { vector, pg_textsearch };
  // Durable: a commit is fsynced before it is acknowledged (durable-filesystem.mjs). memory:// has no disk.
  const db =
    durable && !dataDir.startsWith('memory://')
      ? await PGlite.create({ ...durableOptions(dataDir), extensions, postgresqlconf: [...settings, ...DURABLE_SETTINGS] })
      : await PGlite.create(dataDir, { extensions, postgresqlconf: settings });

  // PGlite is one backend session: two clients would run their statements inside each other's
  // transactions. So one client at a time; another is refused as a full server refuses one. A
  // client that has gone no longer counts: the next one is taken, and starts once the session
  // before it is cleared (a pool reconnecting as its idle connection closes is not refused).
  /** @type {{ session: EmbeddedSession, hangUp: () => void } | undefined} */
  let active;
  /** @param {import('./embedded-session.mjs').Transport} transport @param {() => void} hangUp */
  const open = (transport, hangUp) => {
    if (active && !active.session.leaving) return undefined;
    const session = new EmbeddedSession(db, transport, () => {
      if (active?.session === session) active = undefined;
    }, active?.session.finished);
    active = { session, hangUp };
    return session;
  };
  const busy = () => fatal('53300', 'the embedded engine serves one connection at a time, and one is open');

  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    socket.on('error', () => {}); // 'close' follows, and ends the session
    const session = open({ send: (bytes) => socket.write(bytes), end: () => socket.end() }, () => socket.destroy());
    if (!session) return socket.end(busy());
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
      const session = open({ send, end }, end);
      if (!session) return send(busy()), end();
      channelSessions.set(id, session);
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
      // The open session's statement finishes (and its open transaction rolls back) first.
      const current = active;
      if (current) {
        await current.session.close();
        current.hangUp();
      }
      // A refused client may never close its end; the server waits for every socket to close.
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
