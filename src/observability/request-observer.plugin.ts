import { type DocumentNode, Kind, getOperationAST } from 'graphql';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logging/logger.js';
import type { AppMetrics, OperationType } from './metrics.js';
import type { OperationOutcome, Tracing } from './tracing.js';

type Observed = {
  started: number;
  operationName: string | null;
  type: OperationType;
  /** The only root field of an anonymous operation, which labels it in metrics. */
  rootField: string | null;
  tenant: string | null;
  errorCodes: string[];
  endSpan?: (outcome: OperationOutcome) => void;
};

export type RequestObserver = {
  plugin: Plugin;
  /** Called by the context factory once the request's tenant is known. */
  tenantResolved(request: Request, slug: string): void;
};

/**
 * Observes every GraphQL request once, when it is answered: one JSON log line, the latency and
 * error metrics, and its trace span. Only names, codes and timings are recorded, never variables,
 * headers or query text. Must come after useErrorReporting: it reads the request id that plugin
 * sets on the response and the error codes it completes.
 */
export function createRequestObserver(options: {
  logger: Logger;
  metrics?: AppMetrics | undefined;
  tracing?: Tracing | undefined;
  graphqlEndpoint: string;
}): RequestObserver {
  const { logger, metrics, tracing } = options;
  const observed = new WeakMap<Request, Observed>();

  const plugin: Plugin = {
    onRequest({ request, url }) {
      if (url.pathname !== options.graphqlEndpoint) return;
      const entry: Observed = { started: performance.now(), operationName: null, type: 'unknown', rootField: null, tenant: null, errorCodes: [] };
      if (tracing) entry.endSpan = tracing.startOperation();
      observed.set(request, entry);
    },
    onParams({ request, params }) {
      const entry = observed.get(request);
      // The name is the client's text: a bounded prefix of it is enough to recognize it in logs.
      if (entry && typeof params.operationName === 'string') entry.operationName = params.operationName.slice(0, 128);
    },
    // Validation runs for every parsed document (the parse cache does not skip this hook), so the
    // operation's type is known even for requests that then fail validation.
    onValidate({ context, params }) {
      const request = (context as { request?: Request }).request;
      const entry = request && observed.get(request);
      if (entry) describeOperation(entry, params.documentAST);
    },
    onResultProcess({ request, result }) {
      const entry = observed.get(request);
      if (!entry || Symbol.asyncIterator in result) return;
      for (const one of Array.isArray(result) ? result : [result as ExecutionResult]) {
        for (const error of one.errors ?? []) entry.errorCodes.push(String(error.extensions?.code ?? 'UNKNOWN'));
      }
    },
    onResponse({ request, response }) {
      const entry = observed.get(request);
      if (!entry) return;
      observed.delete(request);
      const durationMs = performance.now() - entry.started;
      const requestId = response.headers.get('x-request-id');
      const errorCodes = [...new Set(entry.errorCodes)];
      const internal = response.status >= 500 || errorCodes.includes('INTERNAL_SERVER_ERROR');
      logger[internal ? 'warn' : 'info'](
        {
          requestId,
          tenant: entry.tenant ?? undefined,
          operation: entry.operationName ?? undefined,
          operationType: entry.type,
          durationMs: Math.round(durationMs * 10) / 10,
          status: response.status,
          // Refusals answered before GraphQL runs (body too large, CSRF) carry a status but no codes.
          outcome: errorCodes.length === 0 && response.status < 400 ? 'ok' : 'error',
          ...(errorCodes.length > 0 ? { errorCodes } : {}),
        },
        'graphql request',
      );
      metrics?.observeRequest(entry.operationName ?? entry.rootField ?? 'anonymous', entry.type, durationMs / 1000);
      metrics?.countErrors(entry.errorCodes);
      entry.endSpan?.({
        name: entry.operationName,
        type: entry.type,
        tenant: entry.tenant,
        requestId,
        status: response.status,
        errorCodes,
      });
    },
  };

  return {
    plugin,
    tenantResolved(request, slug) {
      const entry = observed.get(request);
      if (entry) entry.tenant = slug;
    },
  };
}

function describeOperation(entry: Observed, document: DocumentNode) {
  const operation = getOperationAST(document, entry.operationName);
  if (!operation) return;
  entry.type = operation.operation as OperationType;
  entry.operationName ??= operation.name?.value ?? null;
  const fields = operation.selectionSet.selections;
  const only = fields.length === 1 ? fields[0] : undefined;
  entry.rootField = only?.kind === Kind.FIELD ? only.name.value : null;
}
