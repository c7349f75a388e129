import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DURABLE_SETTINGS, durableOptions } from '../../src/db/embedded/durable-filesystem.mjs';
import { startEmbeddedEngine } from '../../src/db/embedded/embedded-engine.js';

// PGlite ran with fsync off (its -F start parameter), and its file system had no fsync to call:
// a commit reached the page cache, not the disk. The embedded engine is durable by default now.
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'narwhal-durability-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function settings(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query("select name, setting from pg_settings where name in ('fsync', 'wal_sync_method') order by name");
    return Object.fromEntries(rows.map((row: { name: string; setting: string }) => [row.name, row.setting]));
  } finally {
    await client.end();
  }
}

// Each test creates data directories (initdb): slow on a shared machine.
describe('embedded engine durability', { timeout: 240_000 }, () => {
  it('runs a data directory with fsync on, syncing the WAL with fsync; EMBEDDED_FSYNC=false turns it off', async () => {
    const durable = await startEmbeddedEngine({ dataDir: join(dir, 'durable'), port: 0 });
    try {
      expect(await settings(durable.url)).toEqual({ fsync: 'on', wal_sync_method: 'fsync' });
    } finally {
      await durable.close();
    }
    const fast = await startEmbeddedEngine({ dataDir: join(dir, 'fast'), port: 0, durable: false });
    try {
      expect((await settings(fast.url)).fsync).toBe('off');
    } finally {
      await fast.close();
    }
  });

  it('fsyncs to the disk before a commit returns', async () => {
    const options = durableOptions(join(dir, 'direct'));
    const db = await PGlite.create({ ...options, postgresqlconf: DURABLE_SETTINGS });
    try {
      await db.exec('create table t (id int)');
      const before = options.fs.syncs;
      await db.exec("insert into t values (1)");
      expect(options.fs.syncs).toBeGreaterThan(before);
      // A read-only statement writes no WAL, so nothing waits on the disk.
      const afterWrite = options.fs.syncs;
      await db.query('select count(*) from t');
      expect(options.fs.syncs).toBe(afterWrite);
    } finally {
      await db.close();
    }
  });
});
