import type { CompiledQuery } from 'kysely';
import pg from 'pg';
// pg's own mapping of JavaScript values to parameters (Buffers stay binary, arrays become array
// literals), so a pipelined statement binds exactly as a Kysely one does.
import { prepareValue } from 'pg/lib/utils.js';

/**
 * Several extended-protocol statements written at once and closed by one Sync: one round trip,
 * and (no BEGIN among them) one implicit transaction, so a transaction-local setting made by the
 * first still holds for the next, and ends with the last. The server parses and plans each
 * statement only after the previous one ran: a role switched by the first applies row-level
 * security to the second. pg accepts such an object wherever it takes a query (its "submittable"
 * interface); pg's Query already collects one result per statement.
 */
class PipelinedQuery extends pg.Query {
  constructor(
    private readonly statements: readonly CompiledQuery[],
    callback: (error: Error | undefined, results: pg.QueryResult | pg.QueryResult[]) => void,
  ) {
    // pg's Query gathers a result per statement; its callback is typed for one.
    super({ text: statements.map((statement) => statement.sql).join(';\n') }, undefined, callback as never);
  }

  override submit = (connection: pg.Connection): void => {
    // Corked, the messages leave in one write.
    connection.stream.cork();
    try {
      for (const statement of this.statements) {
        connection.parse({ text: statement.sql, name: '', types: [] }, true);
        // The typings want values already mapped; the mapper does that (text, or a Buffer as binary).
        const values = statement.parameters as (string | Buffer | null)[];
        connection.bind({ portal: '', statement: '', values, valueMapper: prepareValue }, true);
        connection.describe({ type: 'P', name: '' }, true);
        connection.execute({ portal: '' }, true);
      }
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
  };
}

/** Runs the statements in one round trip and one implicit transaction; each one's rows, in order. */
export async function runPipelined(pool: pg.Pool, statements: readonly CompiledQuery[]): Promise<unknown[][]> {
  const client = await pool.connect();
  try {
    const results = await new Promise<pg.QueryResult | pg.QueryResult[]>((resolve, reject) => {
      client.query(new PipelinedQuery(statements, (error, result) => (error ? reject(error) : resolve(result))));
    });
    return (Array.isArray(results) ? results : [results]).map((result) => result.rows);
  } finally {
    client.release();
  }
}
