import { type ExecutionArgs, type ExecutionResult, execute } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Executes operations with graphql-js's own executor instead of yoga's default
 * (@graphql-tools/executor). That one builds each object as its fields' promises settle
 * (promiseForObject assigns keys on resolution), so an async field such as a Node's global id
 * came back after the synchronous fields, and aliases in the order they finished. graphql-js
 * assembles every object in selection order, as the spec's ordered result map requires. Nothing
 * here needs what the other adds (incremental delivery, subscriptions, abort signals).
 */
export function useOrderedExecution(): Plugin {
  return {
    onExecute({ setExecuteFn }) {
      setExecuteFn((args) => orderedExecute(args as ExecutionArgs));
    },
  };
}

function orderedExecute(args: ExecutionArgs) {
  const result = execute(args);
  return result instanceof Promise ? result : withRequestErrorStatus(result);
}

// A result with no data at all means execution never started: the variables did not fit their
// types. That is the request's fault, answered with 400 as yoga's own executor does (clients
// read the status of an application/graphql-response+json answer).
function withRequestErrorStatus(result: ExecutionResult): ExecutionResult {
  if ('data' in result || !result.errors) return result;
  for (const error of result.errors) {
    Object.defineProperty(error, 'extensions', {
      value: { ...error.extensions, http: { ...(error.extensions?.http as object | undefined), status: 400 } },
    });
  }
  return result;
}
