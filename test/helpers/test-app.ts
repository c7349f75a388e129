import { randomBytes } from 'node:crypto';
import { type App, startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { EmbeddingProvider } from '../../src/embeddings/embedding-provider.js';
import type { Logger } from '../../src/logging/logger.js';
import { createHashingEmbedder } from './hashing-embedder.js';
import { testDatabaseUrl } from './test-database.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export type GraphQLResponse<T = Record<string, any>> = {
  status: number;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; field?: string } }[];
};

/**
 * The real application over the test engine: embedded PGlite in memory, or the external
 * PostgreSQL or Citus coordinator named by testDatabaseUrl(). Requests go through yoga.fetch, the same handler HTTP uses.
 */
export async function startTestApp(
  options: {
    /** null: the embedder the configuration names (EMBEDDING_PROVIDER...), as in production. */
    embedder?: EmbeddingProvider | null;
    env?: Record<string, string>;
    /** Where the app's JSON log lines go; default: none (LOG_LEVEL=silent unless env sets it). */
    logger?: Logger;
  } = {},
) {
  const hashing = createHashingEmbedder();
  const embedder = options.embedder === null ? undefined : (options.embedder ?? hashing.provider);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: 'memory://',
    SEED_DEMO: 'false',
    ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    // Off unless a test asks: sampled searches' exact re-runs would add queries other tests count.
    RECALL_SAMPLE_RATE: '0',
    ...(testDatabaseUrl() ? { DATABASE_URL: testDatabaseUrl() as string } : {}),
    ...options.env,
  });
  const unexpectedErrors: unknown[] = [];
  const unexpectedErrorRequestIds: (string | undefined)[] = [];
  const queries: string[] = [];
  const app = await startApp(config, {
    ...(embedder ? { embedder } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    logError: (error, requestId) => {
      unexpectedErrors.push(error);
      unexpectedErrorRequestIds.push(requestId);
    },
    onQuery: (sql) => queries.push(sql),
  });
  return new TestApp(app, hashing.calls, unexpectedErrors, queries, unexpectedErrorRequestIds);
}

export class TestApp {
  constructor(
    readonly app: App,
    /** Texts of every call to the default test embedder, one array per provider call. */
    readonly embedderCalls: string[][],
    /** Errors the server masked as INTERNAL_SERVER_ERROR; tests expect none. */
    readonly unexpectedErrors: unknown[],
    /** SQL of every statement the application ran, in order. */
    readonly queries: string[],
    /** The request id each unexpected error was logged with. */
    readonly unexpectedErrorRequestIds: (string | undefined)[],
  ) {}

  /** The Kysely executor, as repositories take it. */
  get db() {
    return this.app.deps.database.db;
  }

  get database() {
    return this.app.deps.database;
  }

  async gql<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> {
    const response = await this.app.yoga.fetch('http://narwhal.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as object) };
  }

  /** A request as the given tenant. */
  as(slug: string) {
    return <T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}) =>
      this.gql<T>(query, variables, { 'x-tenant-id': slug });
  }

  admin<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}) {
    return this.gql<T>(query, variables, { authorization: `Bearer ${ADMIN_TOKEN}` });
  }

  /** Creates a tenant with a unique slug (tests never share data) and returns the slug. */
  async createTenant(prefix = 't', input: Record<string, unknown> = {}): Promise<string> {
    const slug = `${prefix}-${randomBytes(5).toString('hex')}`;
    const result = await this.admin('mutation($input: CreateTenantInput!) { createTenant(input: $input) { slug } }', {
      input: { slug, ...input },
    });
    if (result.errors) throw new Error(`createTenant failed: ${JSON.stringify(result.errors)}`);
    return slug;
  }

  close() {
    return this.app.close();
  }
}

/** The `extensions.code` of the first error, or undefined when the request succeeded. */
export function errorCode(result: GraphQLResponse): string | undefined {
  return result.errors?.[0]?.extensions?.code;
}
