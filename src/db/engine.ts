import { PGlite } from '@electric-sql/pglite';
import { pg_textsearch } from '@electric-sql/pglite-pg_textsearch';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A PostgreSQL the application can reach by URL, whichever engine serves it. */
export type Engine = {
  kind: 'embedded' | 'external';
  url: string;
  /** How many pooled connections the engine takes without stalling. */
  maxPoolSize: number;
  close(): Promise<void>;
};

export function externalEngine(url: string, poolSize: number): Engine {
  return { kind: 'external', url, maxPoolSize: poolSize, close: async () => {} };
}

/**
 * Starts PGlite (PostgreSQL in WASM, with pgvector) and serves it on a loopback port, so the
 * application talks to it through the same pg Pool and Kysely code as to an external server.
 * dataDir is a directory path, or `memory://` for a throwaway database.
 */
export async function startEmbeddedEngine(options: { dataDir: string; port: number }): Promise<Engine> {
  // pg_textsearch gives keyword search true BM25 ranking (migration 0008 creates its index).
  const db = await PGlite.create(options.dataDir, { extensions: { vector, pg_textsearch } });
  // PGlite executes one statement at a time for a single session. The socket server multiplexes
  // connections onto that session; with more than one, a connection that queried while another
  // held a transaction was seen to hang, so the engine takes exactly one pooled connection.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port, maxConnections: 1 });
  await server.start();
  return {
    kind: 'embedded',
    url: `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    maxPoolSize: 1,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
