import { execute } from 'graphql';
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
      setExecuteFn(execute);
    },
  };
}
