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
const { dataDir, listenPort } = /** @type {{ dataDir: string, listenPort: number }} */ (workerData);

try {
  // pg_textsearch gives keyword search true BM25 ranking (migration 0008 creates its index).
  const db = await PGlite.create(dataDir, { extensions: { vector, pg_textsearch } });
  // PGlite executes one statement at a time for a single session. The socket server multiplexes
  // connections onto that session; with more than one, a connection that queried while another
  // held a transaction was seen to hang, so the engine takes exactly one pooled connection.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: listenPort, maxConnections: 1 });
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
