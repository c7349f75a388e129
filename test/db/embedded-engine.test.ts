import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, createDatabase } from '../../src/db/database.js';
import { startEmbeddedEngine } from '../../src/db/embedded/embedded-engine.js';
import type { Engine } from '../../src/db/engine.js';
import { runPipelined } from '../../src/db/pipeline.js';
import { READY_FOR_QUERY_IDLE, openRawConnection } from '../helpers/raw-postgres-connection.js';

// The embedded engine's transports (a MessagePort for the server's pool, loopback TCP for psql)
// and settings, seen from plain pg clients. Most tests end their pool before the next opens one:
// the last client to leave resets the engine's one backend (embedded-psql.test.ts has clients side by side).
let engine: Engine;

beforeAll(async () => {
  engine = await startEmbeddedEngine({ dataDir: 'memory://', port: 0 });
});
afterAll(async () => {
  await engine.close();
});

/** A pool of one over TCP (url) or the channel (stream), counting the chunks that arrive on its connection. */
function countingPool(via: 'tcp' | 'channel') {
  const pool = new pg.Pool({ connectionString: engine.url, max: 1, ...(via === 'channel' ? { stream: engine.stream } : {}) });
  const counter = { chunks: 0 };
  pool.on('connect', (client) =>
    (client as unknown as { connection: { stream: NodeJS.ReadableStream } }).connection.stream.on('data', () => counter.chunks++),
  );
  return { pool, counter };
}

describe('embedded engine', () => {
  it.each(['tcp', 'channel'] as const)('answers a pipelined round trip in one chunk over %s, however many statements it carries', async (via) => {
    const { pool, counter } = countingPool(via);
    try {
      await pool.query('select 1');
      for (const count of [1, 2, 5]) {
        counter.chunks = 0;
        const statements = Array.from({ length: count }, () => CompiledQuery.raw('select g from generate_series(1, 100) g', []));
        const results = await runPipelined(pool, statements);
        expect(results.map((rows) => rows.length)).toEqual(Array(count).fill(100));
        // Answered message by message, every parse, bind, describe, execute and sync answer arrives apart.
        expect(counter.chunks).toBe(1);
      }
    } finally {
      await pool.end();
    }
  });

  it('serves a second connection beside the first, each with its own prepared statements under one name', async () => {
    await withDatabase(async (db) => {
      await sql`select 1`.execute(db);
      const other = new pg.Client({ connectionString: engine.url });
      await other.connect();
      try {
        // The server's pool and another client both prepare `narwhal_1`, each its own text.
        await other.query({ name: 'narwhal_1', text: 'select 2 as two' });
        const pool = createDatabase(engine, { poolSize: 1 });
        try {
          // A Kysely statement first: Kysely ends a pool at destroy() only once it has used it.
          await sql`select 1`.execute(pool.db);
          const [rows] = await pool.executePipelined([CompiledQuery.raw('select 1 as one', [])]);
          expect(rows).toEqual([{ one: 1 }]);
        } finally {
          await pool.destroy();
        }
        expect((await other.query({ name: 'narwhal_1', text: 'select 2 as two' })).rows).toEqual([{ two: 2 }]);
        expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
      } finally {
        await other.end();
      }
    });
  });

  it('rolls back what a connection left open when it goes, so the next connection is not inside it', async () => {
    const first = new pg.Client({ connectionString: engine.url, stream: engine.stream });
    await first.connect();
    await first.query('create table left_open (x int)');
    await first.query('begin');
    await first.query('insert into left_open values (1)');
    await first.end();
    await withDatabase(async (db) => {
      const { rows } = await sql<{ count: string }>`select count(*) from left_open`.execute(db);
      expect(rows).toEqual([{ count: '0' }]);
      await sql`drop table left_open`.execute(db);
    });
  });

  it("starts the next connection afresh: none of the last one's prepared statements or session settings", async () => {
    const first = new pg.Client({ connectionString: engine.url, stream: engine.stream });
    await first.connect();
    await first.query({ name: 'narwhal_1', text: 'select 1' });
    await first.query("set work_mem = '7MB'");
    await first.end();
    await withDatabase(async (db) => {
      const { rows } = await sql<{ prepared: string; work_mem: string; maintenance_work_mem: string }>`
        select (select count(*) from pg_prepared_statements) as prepared,
          current_setting('work_mem') as work_mem, current_setting('maintenance_work_mem') as maintenance_work_mem`.execute(db);
      // The engine's own configuration stays.
      expect(rows).toEqual([{ prepared: '0', work_mem: '4MB', maintenance_work_mem: '512MB' }]);
    });
  });

  it('answers what precedes a Terminate in the same chunk, then closes the connection and frees the engine', async () => {
    const raw = await openRawConnection(engine.url);
    raw.socket.write(Buffer.concat([serialize.query('select 41 + 1'), serialize.end()]));
    await raw.closed;
    expect(raw.received().includes('42')).toBe(true);
    expect(raw.received().includes(READY_FOR_QUERY_IDLE)).toBe(true);
    await withDatabase(async (db) => expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]));
  });

  it('serves the next connection normally after one left mid-pipeline, its failed statement never synced', async () => {
    const raw = await openRawConnection(engine.url);
    // A Parse that fails puts the backend in "skip until Sync"; the client goes before sending one.
    raw.socket.write(Buffer.concat([serialize.parse({ text: 'selec 1' }), serialize.flush()]));
    await raw.waitFor('42601');
    raw.socket.destroy();
    await raw.closed;
    // The next connection waits its turn: the left session holds the backend until it is cleared.
    await withDatabase(async (db) => expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]));
  });

  it('commits nothing of a pipeline whose client left before its Sync', async () => {
    await withDatabase((db) => sql`create table unsynced (x int)`.execute(db));
    const raw = await openRawConnection(engine.url);
    // Parse, Bind, Execute of an insert, then Flush: it ran, in the implicit transaction a Sync would commit.
    raw.socket.write(Buffer.concat([serialize.parse({ text: 'insert into unsynced values (1)' }), serialize.bind(), serialize.execute(), serialize.flush()]));
    await raw.waitFor('INSERT 0 1');
    raw.socket.destroy();
    await raw.closed;
    // The next connection waits its turn: the left session holds the backend until it is cleared.
    await withDatabase(async (db) => {
      expect((await sql<{ count: string }>`select count(*) from unsynced`.execute(db)).rows).toEqual([{ count: '0' }]);
      await sql`drop table unsynced`.execute(db);
    });
  });

  it('runs with the buffers and index-build memory a 100,000-vector tenant needs', async () => {
    await withDatabase(async (db) => {
      const { rows } = await sql`select current_setting('shared_buffers') as buffers, current_setting('maintenance_work_mem') as build`.execute(db);
      expect(rows[0]).toEqual({ buffers: '512MB', build: '512MB' });
    });
  });
});

/** The server's own way in (the channel), for one test's statements; closed after, freeing the engine. */
async function withDatabase<T>(use: (db: Db) => Promise<T>): Promise<T> {
  const { db } = createDatabase(engine, { poolSize: 1 });
  try {
    return await use(db);
  } finally {
    await db.destroy();
  }
}
