import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { requestErrorCode } from './client-errors.js';

const REQUEST_ID_HEADER = 'x-request-id';
// A caller's own id is kept only when it is short and plain: it ends up in logs.
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (the caller's x-request-id, or a new one), returns it as a response
 * header, puts it on every masked error so a client can quote it, logs each masked error's
 * original with it, and completes the error catalogue: every error leaves with extensions.code.
 */
export function useErrorReporting(logError: (error: unknown, requestId: string) => void): Plugin {
  const ids = new WeakMap<Request, string>();
  const requestIdOf = (request: Request) => {
    let id = ids.get(request);
    if (!id) {
      const given = request.headers.get(REQUEST_ID_HEADER);
      id = given && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
      ids.set(request, id);
    }
    return id;
  };
  const report = (result: ExecutionResult, requestId: string): ExecutionResult => {
    if (!result.errors) return result;
    const errors = result.errors.map((error) => {
      const code = error.extensions?.code;
      if (code === 'INTERNAL_SERVER_ERROR') logError(error.originalError ?? error, requestId);
      if (code !== undefined && code !== 'INTERNAL_SERVER_ERROR') return error;
      return new GraphQLError(error.message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        originalError: error.originalError,
        extensions: { ...error.extensions, code: code ?? requestErrorCode(error), requestId },
      });
    });
    return { ...result, errors };
  };
  return {
    onRequest({ request }) {
      requestIdOf(request);
    },
    onResultProcess({ request, result, setResult }) {
      if (Symbol.asyncIterator in result) return; // streamed results carry no errors of ours yet
      const requestId = requestIdOf(request);
      setResult(Array.isArray(result) ? result.map((r) => report(r, requestId)) : report(result as ExecutionResult, requestId));
    },
    onResponse({ request, response }) {
      response.headers.set(REQUEST_ID_HEADER, requestIdOf(request));
    },
  };
}
