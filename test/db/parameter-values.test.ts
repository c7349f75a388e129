import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toParameterValue } from '../../src/db/parameter-values.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

// A pipelined statement maps its values itself (src/db/parameter-values.ts): the server must
// receive exactly what it receives when Kysely runs the same statement through pg.
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const withToPostgres = { toPostgres: () => ({ nested: ['x', 1] }) };

const TEXT_VALUES: [string, unknown][] = [
  ['null', null],
  ['undefined', undefined],
  ['a string', 'plain "quoted" \\ text'],
  ['an integer', 42],
  ['a float', -1.5e-7],
  ['a boolean', true],
  ['a bigint', 9_007_199_254_740_993n],
  ['a date', new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 7))],
  ['a date before Christ', new Date(Date.UTC(-43, 2, 15))],
  ['an array of numbers', [1, 2.5, null]],
  ['an array of strings', ['a"b', 'c\\d', '', 'NULL', null]],
  ['a nested array', [[1, 2], [3, 4]]],
  ['an array holding dates, objects and bytes', [new Date(0), { a: [1] }, Buffer.from([0, 255])]],
  ['an object (JSON)', { a: 1, b: ['two', null], c: { d: true } }],
  ['an object with toPostgres', withToPostgres],
];

const BINARY_VALUES: [string, unknown][] = [
  ['a Buffer', Buffer.from([0, 1, 2, 250])],
  ['a typed array', new Float32Array([0.5, -2])],
];

describe('toParameterValue', () => {
  it.each(TEXT_VALUES)('sends %s as Kysely does', async (_name, value) => {
    const query = sql<{ v: string | null }>`select ${value}::text as v`.compile(t.db);
    const viaKysely = await t.db.executeQuery(query);
    const viaMapping = await t.db.executeQuery({ ...query, parameters: query.parameters.map(toParameterValue) });
    expect(viaMapping.rows).toEqual(viaKysely.rows);
  });

  it.each(BINARY_VALUES)('sends %s in binary, as Kysely does', async (_name, value) => {
    const query = sql<{ v: string }>`select encode(${value}::bytea, 'hex') as v`.compile(t.db);
    const viaKysely = await t.db.executeQuery(query);
    expect(await t.db.executeQuery({ ...query, parameters: query.parameters.map(toParameterValue) })).toMatchObject({ rows: viaKysely.rows });
    expect(toParameterValue(value)).toBeInstanceOf(Buffer);
  });

  it('refuses a value whose toPostgres returns itself, as pg does', () => {
    const circular = { toPostgres: () => circular };
    expect(() => toParameterValue(circular)).toThrow(/circular reference/);
  });
});
