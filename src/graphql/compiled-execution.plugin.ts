import { type DocumentNode, type ExecutionArgs, type ExecutionResult, GraphQLError, execute } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

export type ExecutionEngine = 'compiled' | 'graphql-js';

/**
 * Executes each operation with a function graphql-jit compiled for it, once per parsed document
 * (yoga's parse cache hands back the same DocumentNode for the same query text, so a client's
 * repeated operation is compiled once). graphql-js walks the document and coerces the variables
 * at every request; the compiled function does the same work in straight-line code. On native
 * PostgreSQL (bench:search, 10 clients) it took about 0.5 ms of server CPU off each search,
 * much of it the coercion of a 512-number vector variable.
 *
 * Both engines assemble every object in selection order, as the spec's ordered result map
 * requires (yoga's default executor, @graphql-tools/executor, assigns keys as promises settle).
 * An operation graphql-jit cannot compile runs on graphql-js, so no request depends on the
 * compiler's coverage of the language.
 */
export function useCompiledExecution(engine: ExecutionEngine = 'compiled'): Plugin {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  const compiledFor = (args: ExecutionArgs): CompiledQuery | null => {
    let byOperation = compiled.get(args.document);
    if (!byOperation) compiled.set(args.document, (byOperation = new Map()));
    const operation = args.operationName ?? '';
    let query = byOperation.get(operation);
    if (query === undefined) {
      const result = compileQuery(args.schema, args.document, args.operationName ?? undefined);
      byOperation.set(operation, (query = isCompiledQuery(result) ? result : null));
    }
    return query;
  };
  return {
    onExecute({ setExecuteFn }) {
      setExecuteFn((args) => {
        const executionArgs = args as ExecutionArgs;
        const query = engine === 'compiled' ? compiledFor(executionArgs) : null;
        if (!query) return settle(execute(executionArgs));
        const result = query.query(executionArgs.rootValue, executionArgs.contextValue, executionArgs.variableValues);
        return settle(result, query.stringify);
      });
    },
  };
}

type Stringify = (result: ExecutionResult) => string;

function settle(result: ExecutionResult | Promise<ExecutionResult>, stringify?: Stringify) {
  return result instanceof Promise ? result.then((settled) => finish(settled, stringify)) : finish(result, stringify);
}

// A result with no data at all means execution never started: the variables did not fit their
// types. That is the request's fault, answered with 400 as yoga's own executor does (clients
// read the status of an application/graphql-response+json answer). The compiled query's own
// serializer writes its results (yoga uses a result's stringify when it has one).
function finish(result: ExecutionResult, stringify?: Stringify): ExecutionResult {
  if (!('data' in result) && result.errors) return { errors: result.errors.map((error) => rebuilt(error, { status: 400 })) };
  if (result.errors) result = { ...result, errors: result.errors.map((error) => (error instanceof GraphQLError ? error : rebuilt(error))) };
  if (stringify) Object.defineProperty(result, 'stringify', { value: stringify, enumerable: false });
  return result;
}

/**
 * The error as graphql's GraphQLError of this module, with `http` added to its extensions when
 * given. graphql-jit's ESM entry loads its CommonJS build, which requires graphql's CommonJS
 * build: where this module gets graphql's ESM build (vitest, bundlers), the compiled query's
 * errors are another copy's GraphQLError, which the error masking would take for unexpected ones.
 */
function rebuilt(error: GraphQLError, http?: { status: number }): GraphQLError {
  const { message, nodes, source, positions, path, originalError } = error;
  const extensions = http ? { ...error.extensions, http: { ...(error.extensions?.http as object | undefined), ...http } } : error.extensions;
  return new GraphQLError(message, { nodes, source, positions, path, originalError, extensions });
}
