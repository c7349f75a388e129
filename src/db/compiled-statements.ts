import type { CompiledQuery } from 'kysely';
import { LRUCache } from 'lru-cache';

/**
 * How many statement shapes a database keeps compiled: a search's shape names its tenant (its
 * shard is in the text), so this is about the tenants searched recently, a few shapes each.
 */
const COMPILED_STATEMENTS = 2000;

/**
 * What a statement is, for its compiled text to be reused: `key` names everything the text and
 * its constant parameters depend on, and `bound` is the one value that changes from one use to the
 * next (a query vector), bound wherever the statement compiled it.
 */
export type StatementShape = { key: string; bound: unknown };

type Compiled = { query: CompiledQuery<unknown>; bound: unknown };

/**
 * Kysely compiles a statement by walking its operation tree: a few hundred microseconds per
 * search on the hot path, to produce the same text every time a tenant runs the same shape. This
 * keeps each shape's compiled form and swaps in the new bound value: the tree is built and walked
 * once per shape. The bound value is found by identity, so one compiled with it stands for it.
 */
export class CompiledStatements {
  readonly #cache = new LRUCache<string, Compiled>({ max: COMPILED_STATEMENTS });

  /** The shape's compiled statement with shape.bound bound; compile runs only for a shape not kept. */
  compile<R>(shape: StatementShape, compile: () => CompiledQuery<R>): CompiledQuery<R> {
    const known = this.#cache.get(shape.key);
    if (!known) {
      const query = compile();
      this.#cache.set(shape.key, { query, bound: shape.bound });
      return query;
    }
    const parameters = known.query.parameters.map((value) => (value === known.bound ? shape.bound : value));
    return { ...(known.query as CompiledQuery<R>), parameters };
  }
}
