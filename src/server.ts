import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga } from 'graphql-yoga';
import { createContextFactory } from './context.js';
import { createCredentialsReader } from './auth/request-credentials.js';
import { domainErrorFromDatabase } from './db/postgres-errors.js';
import { GraphQLError } from 'graphql';
import { useErrorReporting } from './graphql/error-reporting.plugin.js';
import { toClientError } from './graphql/client-errors.js';
import { schema } from './graphql/schema.js';
import type { ServiceDeps } from './service-deps.js';
import type { TenantAuthenticator } from './auth/tenant-authenticator.js';
import type { Logger } from './logging/logger.js';
import { useOperationalEndpoints } from './observability/operational-endpoints.plugin.js';
import type { Readiness } from './observability/readiness.js';
import { createRequestObserver } from './observability/request-observer.plugin.js';
import type { Telemetry } from './observability/telemetry.js';
import { graphiqlExampleOperations, graphiqlHeaders } from './demo/graphiql-examples.js';
import type { AuthMode } from './auth/auth-config.js';
import type { RequestLimits } from './config.js';
import { DOCUMENT_LIMITS } from './documents/document.js';
import { useQueryLimits } from './graphql/query-limits.plugin.js';
import { useCsrfPrevention } from './graphql/csrf-prevention.plugin.js';
import { createDocumentCaches } from './graphql/document-cache.js';
import { useInputSizeLimits } from './graphql/input-size.plugin.js';
import { useIntrospection } from './graphql/introspection.plugin.js';
import { type ExecutionEngine, useCompiledExecution } from './graphql/compiled-execution.plugin.js';
import { useRequestSizeLimit } from './graphql/request-size.plugin.js';
import { type PersistedOperations, usePersistedOperationsSetting } from './graphql/persisted-operations.plugin.js';
import type { RateLimiter } from './tenants/rate-limiter.js';
import { useTenantExport } from './graphql/tenant-export.plugin.js';

export type ServerOptions = {
  adminToken: string;
  /** How tenant requests prove their tenant (AUTH_MODE); default: the x-tenant-id header (dev). */
  authenticateTenant?: TenantAuthenticator;
  /** AUTH_MODE, which GraphiQL's prefilled headers and welcome follow; default dev. */
  authMode?: AuthMode;
  /** Tenant prefilled in GraphiQL's headers editor. */
  graphiqlTenant?: string;
  /** Where errors masked as INTERNAL_SERVER_ERROR are reported, with the request's id. */
  logError: (error: unknown, requestId?: string) => void;
  /** Request log lines, metrics, traces, and what /ready and /metrics answer. */
  observability?: { logger: Logger; telemetry: Telemetry; readiness: Readiness };
  /** Abuse limits: what one request may ask for, introspection, GraphiQL, per-tenant rate. */
  guards: { limits: RequestLimits; introspection: boolean; graphiql: boolean; rateLimiter?: RateLimiter };
  /** How operations execute: compiled (default), or graphql-js's interpreter (bench:search compares them). */
  execution?: ExecutionEngine;
  /** Operations named by hash: automatic persisted queries (default), trusted documents only, or off. */
  persistedOperations?: PersistedOperations;
};

/** The GraphQL HTTP handler at /graphql, with GraphiQL bundled (no CDN): no listen() here. */
export function createServer(deps: ServiceDeps, options: ServerOptions) {
  const { logError, observability, guards } = options;
  const authMode = options.authMode ?? 'dev';
  const graphiqlTenant = options.graphiqlTenant ?? 'demo';
  const readCredentials = createCredentialsReader(options.adminToken);
  const isAdmin = (request: Request) => readCredentials(request).isAdmin;
  const observer =
    observability &&
    createRequestObserver({ ...observability, ...observability.telemetry, graphqlEndpoint: '/graphql' });
  return createYoga({
    schema,
    context: createContextFactory(deps, {
      adminToken: options.adminToken,
      ...(options.authenticateTenant ? { authenticateTenant: options.authenticateTenant } : {}),
      ...(observer ? { onTenantResolved: observer.tenantResolved } : {}),
      ...(guards.rateLimiter ? { rateLimiter: guards.rateLimiter } : {}),
    }),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    renderGraphiQL,
    // GraphiQL opens on the example operations, unless the URL carries its own ?query=. (The
    // page ignores defaultQuery for the first tab; `query` is what it reads.)
    graphiql: guards.graphiql && ((request) => ({
      title: 'Narwhal',
      headers: JSON.stringify(graphiqlHeaders(authMode, graphiqlTenant), null, 2),
      defaultEditorToolsVisibility: 'headers' as const,
      ...(new URL(request.url).searchParams.has('query') ? {} : { query: graphiqlExampleOperations(authMode, graphiqlTenant) }),
    })),
    parserAndValidationCache: createDocumentCaches(),
    maskedErrors: { maskError: (error) => toClientError(error, domainErrorFromDatabase) },
    plugins: [
      // Refusals that need no parse come first: a forged or oversized request is never read.
      useCsrfPrevention(),
      useRequestSizeLimit(guards.limits.maxRequestBytes),
      ...usePersistedOperationsSetting(options.persistedOperations ?? { mode: 'automatic' }, isAdmin),
      ...(observability ? useOperationalEndpoints({ ...observability, ...observability.telemetry }) : []),
      useTenantExport(deps, { adminToken: options.adminToken, logError }),
      useErrorReporting(logError),
      // After useErrorReporting: the observer reads the request id and error codes it sets.
      ...(observer ? [observer.plugin] : []),
      ...useQueryLimits(guards.limits, { hideFieldSuggestions: !guards.introspection }),
      useIntrospection(guards.introspection),
      useInputSizeLimits(inputSizeLimits(deps)),
      useCompiledExecution(options.execution),
    ],
    // Yoga logs every error it masks or rewrites; useErrorReporting logs the unexpected ones
    // itself, with the request id, so yoga only reports what never became a GraphQL result.
    logging: {
      debug: () => {},
      info: () => {},
      warn: (...args: unknown[]) => (observability ? observability.logger.warn(args.map(String).join(' ')) : console.warn(...args)),
      error: (error: unknown) => {
        if (!(error instanceof GraphQLError)) logError(error);
      },
    },
  });
}

// Twice the largest list (a batch, a vector) and string (a document's content) any field takes.
function inputSizeLimits(deps: ServiceDeps) {
  return {
    maxListLength: 2 * Math.max(deps.maxBatchSize, deps.embedder.dimensions, 1000),
    maxStringLength: 2 * DOCUMENT_LIMITS.contentLength,
    maxNesting: 64,
  };
}
