import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { CompiledStatements } from '../../src/db/compiled-statements.js';

describe('compiled statements', () => {
  it('compiles a shape once and binds each use its own value, keeping the constants', () => {
    const statements = new CompiledStatements();
    let compiles = 0;
    const compile = (vector: Buffer) => () => {
      compiles++;
      return CompiledQuery.raw('select $1::int, $2, $3', [7, vector, vector]);
    };
    const first = Buffer.from('first');
    const second = Buffer.from('second');
    const a = statements.compile({ key: 'search 1', bound: first }, compile(first));
    const b = statements.compile({ key: 'search 1', bound: second }, compile(second));
    expect(compiles).toBe(1);
    expect(b.sql).toBe(a.sql);
    expect(a.parameters).toEqual([7, first, first]);
    expect(b.parameters).toEqual([7, second, second]);
    // Another shape is another statement.
    statements.compile({ key: 'search 2', bound: second }, compile(second));
    expect(compiles).toBe(2);
  });
});
