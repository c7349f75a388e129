import { describe, expect, it } from 'vitest';
import { PreparedStatements } from '../../src/db/prepared-statements.js';

// One connection's bookkeeping of its prepared statements (src/db/prepared-statements.ts); the
// server's side of it is exercised in pipeline.test.ts.
describe('PreparedStatements', () => {
  it('parses a text the first time and binds it by the same name after', () => {
    const prepared = new PreparedStatements(10);
    const first = prepared.use(['select 1', 'select 2']);
    expect(first.statements.map((s) => s.parse)).toEqual([true, true]);
    const again = prepared.use(['select 2', 'select 1']);
    expect(again.statements).toEqual([
      { name: first.statements[1]?.name, parse: false },
      { name: first.statements[0]?.name, parse: false },
    ]);
    expect(again.close).toEqual([]);
  });

  it('parses a text used twice in one pipeline once', () => {
    const { statements } = new PreparedStatements(10).use(['select 1', 'select 1']);
    expect(statements[0]?.parse).toBe(true);
    expect(statements[1]).toEqual({ name: statements[0]?.name, parse: false });
  });

  it('closes the least recently used statement past its capacity, never one the pipeline uses', () => {
    const prepared = new PreparedStatements(2);
    const [a, b] = prepared.use(['a', 'b']).statements;
    prepared.use(['a']);
    const third = prepared.use(['c']);
    expect(third.close).toEqual([b?.name]);
    expect(prepared.size).toBe(2);
    // b is parsed again, under a new name, and a, now the least recently used, goes.
    const back = prepared.use(['b']);
    expect(back.statements[0]?.parse).toBe(true);
    expect(back.statements[0]?.name).not.toBe(b?.name);
    expect(back.close).toEqual([a?.name]);
    // A pipeline longer than the capacity keeps every statement it uses until it is sent.
    const long = prepared.use(['x', 'y', 'z']);
    expect(long.statements.every((s) => s.parse)).toBe(true);
    expect(long.close).toHaveLength(2);
    expect(prepared.size).toBe(3);
  });

  it('closes what a failed pipeline was to parse before anything else next time, and parses it again', () => {
    const prepared = new PreparedStatements(10);
    const known = prepared.use(['known']).statements;
    const failed = prepared.use(['known', 'fresh']).statements;
    prepared.forget(failed);
    const next = prepared.use(['fresh', 'known']);
    expect(next.close).toEqual([failed[1]?.name]);
    expect(next.statements[0]?.parse).toBe(true);
    expect(next.statements[0]?.name).not.toBe(failed[1]?.name);
    expect(next.statements[1]).toEqual({ name: known[0]?.name, parse: false });
  });
});
