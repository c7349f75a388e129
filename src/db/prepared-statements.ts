/**
 * How many statements one connection keeps prepared. Past that, the least recently used is
 * closed: a server holding many tenants sees one search statement per tenant (its shard is in the
 * text), and the backend keeps each one's plan.
 */
export const PREPARED_STATEMENTS_PER_CONNECTION = 100;

export type StatementUse = { name: string; parse: boolean };

/**
 * One connection's prepared statements, by SQL text, least recently used first (pgx's statement
 * cache, for pipelines). Names are never reused on a connection, so a statement whose fate is
 * unknown (its pipeline failed: it may or may not have been parsed) is simply closed later;
 * closing a name that does not exist is not an error in PostgreSQL's protocol.
 */
export class PreparedStatements {
  private readonly names = new Map<string, string>();
  private toClose: string[] = [];
  private created = 0;

  constructor(private readonly capacity = PREPARED_STATEMENTS_PER_CONNECTION) {}

  /**
   * The name each text runs under, whether it must be parsed first, and the names to close before
   * anything else (evicted, or left unsure by a failed pipeline): sent first, they always run.
   */
  use(texts: readonly string[]): { close: string[]; statements: StatementUse[] } {
    const statements = texts.map((text) => {
      const known = this.names.get(text);
      this.names.delete(text);
      const name = known ?? `narwhal_${++this.created}`;
      this.names.set(text, name);
      return { name, parse: known === undefined };
    });
    const inUse = new Set(statements.map((statement) => statement.name));
    for (const [text, name] of this.names) {
      if (this.names.size <= this.capacity) break;
      if (inUse.has(name)) continue;
      this.names.delete(text);
      this.toClose.push(name);
    }
    const close = this.toClose;
    this.toClose = [];
    return { close, statements };
  }

  /** A pipeline failed: the statements it was to parse may exist or not; close them next time. */
  forget(failed: readonly StatementUse[]): void {
    const unsure = new Set(failed.filter((statement) => statement.parse).map((statement) => statement.name));
    for (const [text, name] of this.names) {
      if (!unsure.has(name)) continue;
      this.names.delete(text);
      this.toClose.push(name);
    }
  }

  get size(): number {
    return this.names.size;
  }
}
