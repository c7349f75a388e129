import { CompiledQuery, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, type Db, createDatabase } from '../../src/db/database.js';
import { startEmbeddedEngine } from '../../src/db/embedded/embedded-engine.js';
import type { Engine } from '../../src/db/engine.js';
import { isDatabaseUnavailable } from '../../src/db/postgres-errors.js';
import { type PsqlSession, openPsql } from '../helpers/psql-session.js';
import { startTestApp } from '../helpers/test-app.js';

// A real psql beside the server's own pool (createDatabase over the engine's channel, as the
// server runs it) on one embedded engine: both work at once, taking turns at transaction
// boundaries, and neither sees the other's session state.
const TURN_WAIT_MS = 2000;
let engine: Engine;
let database: Database;
let db: Db;
const psqls: PsqlSession[] = [];

beforeAll(async () => {
  engine = await startEmbeddedEngine({ dataDir: 'memory://', port: 0, turnWaitMs: TURN_WAIT_MS });
  database = createDatabase(engine, { poolSize: 1 });
  db = database.db;
  await sql`create table notes (id int primary key, body text)`.execute(db);
});
afterEach(async () => {
  for (const psql of psqls.splice(0)) await psql.quit();
});
afterAll(async () => {
  await db.destroy();
  await engine.close();
});

async function psql(): Promise<PsqlSession> {
  const session = await openPsql(engine.url);
  psqls.push(session);
  return session;
}

const SEARCH_LIKE = [CompiledQuery.raw(`select set_config('work_mem', '5MB', true) as w`, []), CompiledQuery.raw('select count(*)::int as n from notes', [])];

describe('psql beside the server on the embedded engine', () => {
  it('connects while the server pool is connected, and an idle psql never fails the pool', async () => {
    await sql`select 1`.execute(db);
    const session = await psql();
    expect((await session.run('select 40 + 2')).out).toBe('42');
    // psql sits idle, connected: the server's statements (prepared and plain) all run.
    for (let i = 0; i < 10; i++) {
      const [, rows] = await database.executePipelined(SEARCH_LIKE);
      expect(rows).toEqual([{ n: 0 }]);
      expect((await sql<{ i: number }>`select ${i}::int as i`.execute(db)).rows).toEqual([{ i }]);
    }
    // Both at once (psql's commands one after another, as typed).
    const typed = async () => {
      const outs: string[] = [];
      for (const n of [1, 2, 3]) outs.push((await session.run(`select ${n} * 10`)).out);
      return outs;
    };
    const [fromPsql, fromPool] = await Promise.all([typed(), Promise.all([1, 2, 3].map(() => database.executePipelined(SEARCH_LIKE)))]);
    expect(fromPsql).toEqual(['10', '20', '30']);
    expect(fromPool.map((results) => results[1])).toEqual([[{ n: 0 }], [{ n: 0 }], [{ n: 0 }]]);
  });

  it("keeps each client's settings and prepared statements its own, even through psql's DEALLOCATE ALL", async () => {
    const session = await psql();
    await session.run(`set search_path = nowhere, public; set work_mem = '7MB'; prepare narwhal_1 as select 'psql' as who`);
    // The pool prepares its own narwhal_1 (pipeline.ts names them so) and sets a session setting.
    const [, first] = await database.executePipelined(SEARCH_LIKE);
    expect(first).toEqual([{ n: 0 }]);
    await sql`set statement_timeout = '1234'`.execute(db);
    const pool = await sql<{ path: string; mem: string; timeout: string }>`select current_setting('search_path') as path,
      current_setting('work_mem') as mem, current_setting('statement_timeout') as timeout`.execute(db);
    expect(pool.rows).toEqual([{ path: 'public', mem: '4MB', timeout: '1234ms' }]);

    const shown = await session.run(`show search_path; show work_mem; show statement_timeout; execute narwhal_1`);
    expect(shown.out.split('\n')).toEqual(['nowhere, public', '7MB', '0', 'psql']);

    // psql drops every prepared statement of the backend: the server's are made again for it.
    expect((await session.run('deallocate all')).err).toBe('');
    const [, again] = await database.executePipelined(SEARCH_LIKE);
    expect(again).toEqual([{ n: 0 }]);
    await sql`reset statement_timeout`.execute(db);
  });

  it('holds the server back while psql is inside a transaction: for at most the bound, then unavailable', async () => {
    const session = await psql();
    expect((await session.run(`begin; insert into notes values (1, 'from psql')`)).err).toBe('');
    const held = await sql`select count(*) from notes`.execute(db).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((held as { code?: string }).code).toBe('53300');
    expect(isDatabaseUnavailable(held)).toBe(true);
    expect((held as Error).message).toMatch(/held by another client's transaction/);

    // A statement waiting when psql commits runs then, and sees the commit.
    const waiting = sql<{ n: number }>`select count(*)::int as n from notes`.execute(db);
    expect((await session.run('commit')).err).toBe('');
    expect((await waiting).rows).toEqual([{ n: 1 }]);
    await sql`delete from notes`.execute(db);
  });

  it('waits for the server inside its transaction, then runs', async () => {
    const session = await psql();
    let waiting: Promise<{ out: string; err: string }> | undefined;
    await db.transaction().execute(async (trx) => {
      await sql`insert into notes values (2, 'from the server')`.execute(trx);
      waiting = session.run('select body from notes');
      await new Promise((resolve) => setTimeout(resolve, 50));
      await sql`select 1`.execute(trx);
    });
    // psql's statement ran only after the commit: it sees the row.
    expect(await waiting).toEqual({ out: 'from the server', err: '' });
    await sql`delete from notes`.execute(db);
  });

  it('rolls back what psql left open when it quits, and clears its temporary tables', async () => {
    const session = await psql();
    await session.run(`create temp table scratch (x int); begin; insert into notes values (3, 'never committed')`);
    psqls.splice(psqls.indexOf(session), 1);
    await session.quit();
    expect((await sql<{ n: number }>`select count(*)::int as n from notes`.execute(db)).rows).toEqual([{ n: 0 }]);
    const next = await psql();
    expect((await next.run(`select to_regclass('pg_temp.scratch') is null`)).out).toBe('t');
  });
});

describe('psql beside the whole server', () => {
  it('GraphQL requests succeed while psql is connected, idle or running statements', async () => {
    const t = await startTestApp();
    try {
      const slug = await t.createTenant('psql');
      const session = await openPsql(t.app.engine.url);
      try {
        const upsert = await t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', {
          d: [{ externalId: 'whales', content: 'Whales migrate across oceans.' }],
        });
        expect(upsert.errors).toBeUndefined();
        const search = '{ search(query: "whales", first: 1) { hits { document { externalId } } } }';
        for (let i = 0; i < 5; i++) expect((await t.as(slug)(search)).data!.search.hits).toEqual([{ document: { externalId: 'whales' } }]);
        const [counted, found] = await Promise.all([session.run('select count(*) from documents'), t.as(slug)(search)]);
        expect(Number(counted.out)).toBeGreaterThan(0);
        expect(found.errors).toBeUndefined();
      } finally {
        await session.quit();
      }
      expect(t.unexpectedErrors).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
