import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTimestamptz } from '../../src/db/timestamp-parser.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

const pgParser = pg.types.getTypeParser(1184, 'text') as (text: string) => Date | number;
const asTime = (value: Date | number) => (value instanceof Date ? value.getTime() : value);

describe('parseTimestamptz', () => {
  it('reads what PostgreSQL writes as pg does: fractions, offsets, and the odd forms it hands on', () => {
    const texts = [
      '2026-12-03 05:01:02+00',
      '2026-12-03 05:01:02.1+00',
      '2026-12-03 05:01:02.123456+00',
      '2026-12-03 05:01:02.999999-08',
      '2026-12-03 05:01:02.5+05:30',
      '2026-02-28 23:59:59.0005-03:30',
      '1900-01-01 00:00:00+00:19:32',
      '1000-01-01 00:00:00+00',
      '9999-12-31 23:59:59.999999+14',
      '0099-01-01 00:00:00+00',
      '0044-03-15 12:00:00+00 BC',
      '12345-01-01 00:00:00+00',
      'infinity',
      '-infinity',
    ];
    for (const text of texts) expect([text, asTime(parseTimestamptz(text))]).toEqual([text, asTime(pgParser(text))]);
  });

  it('agrees with pg on thousands of generated timestamps', () => {
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    const pad = (value: number, width = 2) => String(value).padStart(width, '0');
    for (let i = 0; i < 5000; i++) {
      const fraction = random(7) === 0 ? '' : `.${String(random(1_000_000)).padStart(6, '0').slice(0, 1 + random(6))}`;
      const offset = `${random(2) ? '+' : '-'}${pad(random(15))}${random(3) === 0 ? `:${pad(random(60))}` : ''}`;
      const text = `${1000 + random(9000)}-${pad(1 + random(12))}-${pad(1 + random(28))} ${pad(random(24))}:${pad(random(60))}:${pad(random(60))}${fraction}${offset}`;
      expect([text, asTime(parseTimestamptz(text))]).toEqual([text, asTime(pgParser(text))]);
    }
  });
});

describe('timestamptz read through the pool', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is the same instant in any session time zone', async () => {
    const instant = '2026-12-03 05:01:02.123456+00';
    for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Kiritimati']) {
      const rows = await t.db.transaction().execute(async (trx) => {
        await sql`select set_config('TimeZone', ${zone}, true)`.execute(trx);
        return (await sql<{ at: Date; old: Date }>`select ${instant}::timestamptz as at, '1900-01-01 00:00:00+00'::timestamptz as old`.execute(trx)).rows;
      });
      expect(rows[0]!.at.toISOString()).toBe('2026-12-03T05:01:02.123Z');
      expect(rows[0]!.old.toISOString()).toBe('1900-01-01T00:00:00.000Z');
    }
  });
});
