import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const get = (path: string) => t.app.yoga.fetch(`http://narwhal.test${path}`);

describe('/health and /ready', () => {
  it('/health answers 200 while the process serves', async () => {
    expect((await get('/health')).status).toBe(200);
  });

  it('/ready is 503 naming the migration that is not applied, then 200 once it is', async () => {
    // Pretend the last migration never ran (before any probe: applied migrations are remembered).
    const { rows } = await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration order by name desc limit 1`.execute(t.db);
    const last = rows[0]!;
    await sql`delete from kysely_migration where name = ${last.name}`.execute(t.db);
    const pending = await get('/ready');
    expect(pending.status).toBe(503);
    expect(await pending.json()).toEqual({
      ready: false,
      checks: { server: 'ok', database: 'ok', migrations: `1 pending: ${last.name}`, embedder: 'ok' },
    });

    await sql`insert into kysely_migration (name, timestamp) values (${last.name}, ${last.timestamp})`.execute(t.db);
    const ready = await get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.headers.get('content-type')).toContain('application/json');
    expect(await ready.json()).toEqual({ ready: true, checks: { server: 'ok', database: 'ok', migrations: 'ok', embedder: 'ok' } });
  });

  it('/ready turns 503 as soon as the app starts closing, while /health stays 200', async () => {
    const closing = t.close();
    const during = await get('/ready');
    expect(during.status).toBe(503);
    expect((await during.json()).checks.server).toBe('shutting down');
    expect((await get('/health')).status).toBe(200);
    await closing;
    expect((await get('/ready')).status).toBe(503);
  });
});

describe('METRICS_ENABLED=false', () => {
  it('serves no /metrics', async () => {
    const quiet = await startTestApp({ env: { METRICS_ENABLED: 'false' } });
    try {
      expect((await quiet.app.yoga.fetch('http://narwhal.test/metrics')).status).toBe(404);
      expect((await quiet.app.yoga.fetch('http://narwhal.test/ready')).status).toBe(200);
    } finally {
      await quiet.close();
    }
  });
});
