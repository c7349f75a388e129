import { createServer } from 'node:net';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type Db, createDatabase } from '../../src/db/database.js';
import { startEmbeddedEngine } from '../../src/db/embedded/embedded-engine.js';
import { externalEngine } from '../../src/db/engine.js';
import { isDatabaseUnavailable } from '../../src/db/postgres-errors.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a database connection lost while a request holds it', () => {
  // pg emits 'error' on a client whose connection ends, and the pool listens only to idle clients:
  // a checked-out one (a transaction between statements, or mid-query) has no listener, and an
  // unhandled 'error' event ends the process. Seen with the database restarted under load. Without
  // a listener, vitest reports that uncaught error and the run fails.
  it('fails that request as unavailable; the process lives on and the pool reconnects to the database when it is back', async () => {
    const port = await freePort();
    const engine = await startEmbeddedEngine({ dataDir: 'memory://', port });
    // Reached by URL over TCP, as an external server is: the engine stands in for one restarting.
    const { db } = createDatabase(externalEngine(engine.url, 1), { poolSize: 1 });
    const error = await errorOfTransactionCutShort(db, () => engine.close());
    expect(isDatabaseUnavailable(error), String(error)).toBe(true);

    const again = await startEmbeddedEngine({ dataDir: 'memory://', port });
    try {
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
      await again.close();
    }
  });

  it("over the embedded engine's channel too: the request fails as unavailable, and so does the next while it is gone", async () => {
    const engine = await startEmbeddedEngine({ dataDir: 'memory://', port: 0 });
    const { db } = createDatabase(engine, { poolSize: 1 });
    try {
      const error = await errorOfTransactionCutShort(db, () => engine.close());
      expect(isDatabaseUnavailable(error), String(error)).toBe(true);
      const next = await sql`select 1`.execute(db).then(() => undefined, (reason: unknown) => reason);
      expect(isDatabaseUnavailable(next), String(next)).toBe(true);
    } finally {
      await db.destroy();
    }
  });
});

/** A transaction whose connection is lost between two statements (stop ends the database): what it fails with. */
async function errorOfTransactionCutShort(db: Db, stop: () => Promise<void>): Promise<unknown> {
  const lost = db.transaction().execute(async (trx) => {
    await sql`select 1`.execute(trx);
    await stop();
    await sql`select 1`.execute(trx);
  });
  return lost.then(() => undefined, (reason: unknown) => reason);
}
