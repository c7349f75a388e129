import type { CompiledQuery } from 'kysely';
import pg from 'pg';
import { toParameterValue } from './parameter-values.js';
import { PreparedStatements, type StatementUse } from './prepared-statements.js';

const preparedByClient = new WeakMap<pg.PoolClient, PreparedStatements>();

/** The statements prepared on this client's connection (a pooled client is one connection for life). */
function preparedStatementsOf(client: pg.PoolClient): PreparedStatements {
  let prepared = preparedByClient.get(client);
  if (!prepared) preparedByClient.set(client, (prepared = new PreparedStatements()));
  return prepared;
}

/**
 * Several extended-protocol statements written at once and closed by one Sync: one round trip,
 * and (no BEGIN among them) one implicit transaction, so a transaction-local setting made by the
 * first still holds for the next, and ends with the last. The server parses and plans each
 * statement only after the previous one ran: a role switched by the first applies row-level
 * security to the second. pg accepts such an object wherever it takes a query (its "submittable"
 * interface); pg's Query already collects one result per statement.
 *
 * Each statement is prepared once per connection and bound by name after that: the server parses
 * it once, and plans it once where the pipeline's first statement sets plan_cache_mode (the tenant
 * search does: see search-strategy.ts). On the embedded engine, parsing and planning both
 * statements at every call took 0.9 ms of a 2.3 ms search (bench:search's levers, one run).
 */
class PipelinedQuery extends pg.Query {
  used: StatementUse[] = [];

  constructor(
    private readonly statements: readonly CompiledQuery[],
    /** Undefined: every statement unnamed, parsed and planned at each run. */
    private readonly prepared: PreparedStatements | undefined,
    callback: (error: Error | undefined, results: pg.QueryResult | pg.QueryResult[]) => void,
  ) {
    // pg's Query gathers a result per statement; its callback is typed for one.
    super({ text: statements.map((statement) => statement.sql).join(';\n') }, undefined, callback as never);
  }

  override submit = (connection: pg.Connection): void => {
    const texts = this.statements.map((statement) => statement.sql);
    const { close, statements } = this.prepared?.use(texts) ?? { close: [], statements: texts.map(() => UNNAMED) };
    this.used = statements;
    // Corked, the messages leave in one write.
    connection.stream.cork();
    try {
      for (const name of close) connection.close({ type: 'S', name }, true);
      this.statements.forEach((statement, index) => {
        const { name, parse } = statements[index] as StatementUse;
        if (parse) connection.parse({ text: statement.sql, name, types: [] }, true);
        // Mapped as pg maps a Kysely statement's values (text, or a Buffer as binary).
        const values = statement.parameters.map(toParameterValue);
        connection.bind({ portal: '', statement: name, values }, true);
        connection.describe({ type: 'P', name: '' }, true);
        connection.execute({ portal: '' }, true);
      });
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
  };
}

const UNNAMED: StatementUse = { name: '', parse: true };

/**
 * Runs the statements in one round trip and one implicit transaction; each one's rows, in order.
 * prepare: false sends them unnamed (bench/search/search.ts measures what preparing saves).
 */
export async function runPipelined(pool: pg.Pool, statements: readonly CompiledQuery[], options: { prepare?: boolean } = {}): Promise<unknown[][]> {
  const client = await pool.connect();
  try {
    const prepared = options.prepare === false ? undefined : preparedStatementsOf(client);
    const results = await new Promise<pg.QueryResult | pg.QueryResult[]>((resolve, reject) => {
      const query = new PipelinedQuery(statements, prepared, (error, result) => {
        if (error) prepared?.forget(query.used);
        return error ? reject(error) : resolve(result);
      });
      client.query(query);
    });
    return (Array.isArray(results) ? results : [results]).map((result) => result.rows);
  } finally {
    client.release();
  }
}
