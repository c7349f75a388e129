// @ts-check
// Runs the embedded PostgreSQL (PGlite, WASM) and its socket server in a worker thread, so a
// long statement (an index build, a bulk insert) never stalls the event loop that serves HTTP,
// and query execution overlaps GraphQL work on another core. Plain JavaScript so it starts the
// same under node, tsx and vitest.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_textsearch } from '@electric-sql/pglite-pg_textsearch';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

if (!parentPort) throw new Error('embedded-engine.worker must run in a worker thread');
const port = parentPort;
const { dataDir, listenPort, settings } = /** @type {{ dataDir: string, listenPort: number, settings: string[] }} */ (workerData);

try {
  // pg_textsearch gives keyword search true BM25 ranking (migration 0008 creates its index).
  const db = await PGlite.create(dataDir, { extensions: { vector, pg_textsearch }, postgresqlconf: settings });
  // PGlite executes one statement at a time for a single session. The socket server multiplexes
  // connections onto that session; with more than one, a connection that queried while another
  // held a transaction was seen to hang, so the engine takes exactly one pooled connection.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: listenPort, maxConnections: 1 });
  coalesceAnswers(server);
  await server.start();
  port.on('message', async (/** @type {string} */ message) => {
    if (message !== 'close') return;
    try {
      await server.stop();
      await db.close();
      port.postMessage({ closed: true });
    } catch (error) {
      port.postMessage({ closed: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
  port.postMessage({ ready: true, conn: server.getServerConn() });
} catch (error) {
  port.postMessage({ ready: false, error: error instanceof Error ? error.stack ?? error.message : String(error) });
}

/**
 * pglite-socket (0.2.17, pinned) answers a chunk of protocol messages one message at a time and
 * writes each answer to the socket on its own: a pipelined scope + search reached the server in
 * eight reads (measured; test/db/embedded-engine.test.ts), each a socket write here. Corked from a chunk's first answer until the
 * answers of the whole chunk are written (its messages are processed in one promise chain, which
 * ends before setImmediate's callback runs), they leave in one write. Only the batching changes:
 * bytes and order are the same. The socket is wrapped where the server receives it.
 * @param {PGLiteSocketServer} server
 */
function coalesceAnswers(server) {
  const internals = /** @type {{ handleConnection(socket: import('node:net').Socket): Promise<void> }} */ (
    /** @type {unknown} */ (server)
  );
  if (typeof internals.handleConnection !== 'function') throw new Error('pglite-socket changed: handleConnection is gone');
  const handleConnection = internals.handleConnection.bind(server);
  internals.handleConnection = (socket) => {
    const write = socket.write.bind(socket);
    let corked = false;
    socket.write = /** @type {typeof socket.write} */ (
      (/** @type {Parameters<typeof socket.write>} */ ...args) => {
        if (!corked) {
          corked = true;
          socket.cork();
          setImmediate(() => {
            corked = false;
            socket.uncork();
          });
        }
        return write(...args);
      }
    );
    return handleConnection(socket);
  };
}
