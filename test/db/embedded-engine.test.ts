import { connect } from 'node:net';
import { once } from 'node:events';
import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/database.js';
import { type Engine, startEmbeddedEngine } from '../../src/db/engine.js';
import { runPipelined } from '../../src/db/pipeline.js';
import { isDatabaseUnavailable } from '../../src/db/postgres-errors.js';

// The embedded engine's transports (a MessagePort for the server's pool, loopback TCP for psql)
// and settings, seen from plain pg clients. The engine serves one connection at a time, so each
// test ends its pool before the next opens one.
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

  it('serves one connection at a time: a second is refused with 53300 until the first closes', async () => {
    const db = createDatabase(engine, 1);
    const psql = new pg.Client({ connectionString: engine.url });
    try {
      await sql`select 1`.execute(db);
      const refused = await psql.connect().then(() => undefined, (error: unknown) => error);
      expect((refused as { code?: string }).code).toBe('53300');
      expect(isDatabaseUnavailable(refused)).toBe(true);
    } finally {
      await db.destroy();
    }
    const again = new pg.Client({ connectionString: engine.url });
    await again.connect();
    try {
      expect((await again.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await again.end();
    }
  });

  it('rolls back what a connection left open when it goes, so the next connection is not inside it', async () => {
    const first = new pg.Client({ connectionString: engine.url, stream: engine.stream });
    await first.connect();
    await first.query('create table left_open (x int)');
    await first.query('begin');
    await first.query('insert into left_open values (1)');
    await first.end();
    const db = createDatabase(engine, 1);
    try {
      const { rows } = await sql<{ count: string }>`select count(*) from left_open`.execute(db);
      expect(rows).toEqual([{ count: '0' }]);
      await sql`drop table left_open`.execute(db);
    } finally {
      await db.destroy();
    }
  });

  it('answers what precedes a Terminate in the same chunk, then closes the connection and frees the engine', async () => {
    const socket = connect(Number(new URL(engine.url).port), '127.0.0.1');
    await once(socket, 'connect');
    const answers: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => answers.push(chunk));
    const closed = once(socket, 'close');
    socket.write(startupMessage());
    await waitFor(() => Buffer.concat(answers).includes(READY_FOR_QUERY_IDLE));
    answers.length = 0;
    socket.write(Buffer.concat([queryMessage('select 41 + 1'), Buffer.from([0x58, 0, 0, 0, 4])]));
    await closed;
    const reply = Buffer.concat(answers);
    expect(reply.includes(Buffer.from('42'))).toBe(true);
    expect(reply.includes(READY_FOR_QUERY_IDLE)).toBe(true);
    const db = createDatabase(engine, 1);
    try {
      expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
    }
  });

  it('serves the next connection normally after one left mid-pipeline, its failed statement never synced', async () => {
    const socket = connect(Number(new URL(engine.url).port), '127.0.0.1');
    await once(socket, 'connect');
    const answers: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => answers.push(chunk));
    socket.write(startupMessage());
    await waitFor(() => Buffer.concat(answers).includes(READY_FOR_QUERY_IDLE));
    // A Parse that fails puts the backend in "skip until Sync"; the client goes before sending one.
    socket.write(Buffer.concat([parseMessage('selec 1'), FLUSH]));
    await waitFor(() => Buffer.concat(answers).includes(Buffer.from('42601')));
    socket.destroy();
    await once(socket, 'close');
    const db = createDatabase(engine, 1);
    try {
      expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
    }
  });

  it('commits nothing of a pipeline whose client left before its Sync', async () => {
    const db = createDatabase(engine, 1);
    await sql`create table unsynced (x int)`.execute(db);
    await db.destroy();
    const socket = connect(Number(new URL(engine.url).port), '127.0.0.1');
    await once(socket, 'connect');
    const answers: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => answers.push(chunk));
    socket.write(startupMessage());
    await waitFor(() => Buffer.concat(answers).includes(READY_FOR_QUERY_IDLE));
    // Parse, Bind, Execute of an insert, then Flush: it ran, in the implicit transaction a Sync would commit.
    socket.write(Buffer.concat([parseMessage('insert into unsynced values (1)'), BIND_UNNAMED, EXECUTE_UNNAMED, FLUSH]));
    await waitFor(() => Buffer.concat(answers).includes(Buffer.from('INSERT 0 1')));
    socket.destroy();
    await once(socket, 'close');
    const after = createDatabase(engine, 1);
    try {
      expect((await sql<{ count: string }>`select count(*) from unsynced`.execute(after)).rows).toEqual([{ count: '0' }]);
      await sql`drop table unsynced`.execute(after);
    } finally {
      await after.destroy();
    }
  });

  it('runs with the buffers and index-build memory a 100,000-vector tenant needs', async () => {
    const db = createDatabase(engine, 1);
    try {
      const { rows } = await sql`select current_setting('shared_buffers') as buffers, current_setting('maintenance_work_mem') as build`.execute(db);
      expect(rows[0]).toEqual({ buffers: '512MB', build: '512MB' });
    } finally {
      await db.destroy();
    }
  });
});

describe('the embedded engine stopping under the server', () => {
  it('fails the request holding the connection as unavailable; the process lives on', async () => {
    const stopping = await startEmbeddedEngine({ dataDir: 'memory://', port: 0 });
    const db = createDatabase(stopping, 1);
    const lost = db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      await stopping.close();
      await sql`select 1`.execute(trx);
    });
    const error = await lost.then(() => undefined, (reason: unknown) => reason);
    expect(isDatabaseUnavailable(error), String(error)).toBe(true);
    const next = await sql`select 1`.execute(db).then(() => undefined, (reason: unknown) => reason);
    expect(isDatabaseUnavailable(next), String(next)).toBe(true);
    await db.destroy();
  });
});

const READY_FOR_QUERY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);
const FLUSH = Buffer.from([0x48, 0, 0, 0, 4]);
// Bind the unnamed statement to the unnamed portal, no parameters, no result formats; Execute it, no row limit.
const BIND_UNNAMED = Buffer.from([0x42, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0]);
const EXECUTE_UNNAMED = Buffer.from([0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0]);

function startupMessage(): Buffer {
  const body = Buffer.from('user\0postgres\0database\0postgres\0\0');
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + body.length, 0);
  header.writeInt32BE(196608, 4);
  return Buffer.concat([header, body]);
}

function parseMessage(text: string): Buffer {
  const body = Buffer.from(`\0${text}\0\0\0`); // unnamed statement, no parameter types
  const header = Buffer.alloc(5);
  header[0] = 0x50; // 'P'
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

function queryMessage(text: string): Buffer {
  const body = Buffer.from(`${text}\0`);
  const header = Buffer.alloc(5);
  header[0] = 0x51; // 'Q'
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
