import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga } from 'graphql-yoga';
import { createContextFactory, TENANT_HEADER } from './context.js';
import { GraphQLError } from 'graphql';
import { useErrorReporting } from './graphql/error-reporting.plugin.js';
import { toClientError } from './graphql/errors.js';
import { schema } from './graphql/schema.js';
import type { ServiceDeps } from './service-deps.js';
import type { TenantAuthenticator } from './auth/tenant-authenticator.js';
import { GRAPHIQL_EXAMPLE_OPERATIONS } from './demo/graphiql-examples.js';

export type ServerOptions = {
  adminToken: string;
  /** How tenant requests prove their tenant (AUTH_MODE); default: the x-tenant-id header (dev). */
  authenticateTenant?: TenantAuthenticator;
  /** Tenant prefilled in GraphiQL's headers editor. */
  graphiqlTenant?: string;
  /** Where errors masked as INTERNAL_SERVER_ERROR are reported, with the request's id. */
  logError: (error: unknown, requestId?: string) => void;
};

/** The GraphQL HTTP handler at /graphql, with GraphiQL bundled (no CDN): no listen() here. */
export function createServer(deps: ServiceDeps, options: ServerOptions) {
  const { logError } = options;
  return createYoga({
    schema,
    context: createContextFactory(deps, {
      adminToken: options.adminToken,
      ...(options.authenticateTenant ? { authenticateTenant: options.authenticateTenant } : {}),
    }),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    renderGraphiQL,
    // GraphiQL opens on the example operations, unless the URL carries its own ?query=. (The
    // page ignores defaultQuery for the first tab; `query` is what it reads.)
    graphiql: (request) => ({
      title: 'Narwhal',
      headers: JSON.stringify({ [TENANT_HEADER]: options.graphiqlTenant ?? 'demo' }, null, 2),
      defaultEditorToolsVisibility: 'headers' as const,
      ...(new URL(request.url).searchParams.has('query') ? {} : { query: GRAPHIQL_EXAMPLE_OPERATIONS }),
    }),
    maskedErrors: { maskError: (error) => toClientError(error) },
    plugins: [useErrorReporting(logError)],
    // Yoga logs every error it masks or rewrites; useErrorReporting logs the unexpected ones
    // itself, with the request id, so yoga only reports what never became a GraphQL result.
    logging: {
      debug: () => {},
      info: () => {},
      warn: (...args: unknown[]) => console.warn(...args),
      error: (error: unknown) => {
        if (!(error instanceof GraphQLError)) logError(error);
      },
    },
  });
}
