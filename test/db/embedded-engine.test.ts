import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, startEmbeddedEngine } from '../../src/db/engine.js';
import { runPipelined } from '../../src/db/pipeline.js';

// The embedded engine's transport and settings, seen from a plain pg client.
let engine: Engine;
let pool: pg.Pool;
let reads = 0;

beforeAll(async () => {
  engine = await startEmbeddedEngine({ dataDir: 'memory://', port: 0 });
  pool = new pg.Pool({ connectionString: engine.url, max: 1 });
  pool.on('connect', (client) => (client as unknown as { connection: { stream: NodeJS.ReadableStream } }).connection.stream.on('data', () => reads++));
});
afterAll(async () => {
  await pool.end();
  await engine.close();
});

describe('embedded engine', () => {
  it('answers a pipelined round trip in one write, however many statements it carries', async () => {
    await pool.query('select 1');
    for (const count of [1, 2, 5]) {
      reads = 0;
      const statements = Array.from({ length: count }, () => CompiledQuery.raw('select g from generate_series(1, 100) g', []));
      const results = await runPipelined(pool, statements);
      expect(results.map((rows) => rows.length)).toEqual(Array(count).fill(100));
      // Without coalescing, every parse, bind, describe, execute and sync answer arrives apart.
      expect(reads).toBe(1);
    }
  });

  it('runs with the buffers and index-build memory a 100,000-vector tenant needs', async () => {
    const { rows } = await pool.query("select current_setting('shared_buffers') as buffers, current_setting('maintenance_work_mem') as build");
    expect(rows[0]).toEqual({ buffers: '512MB', build: '512MB' });
  });
});
