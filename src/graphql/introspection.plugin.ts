import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * With introspection off, __schema and __type fail validation (GRAPHQL_VALIDATION_FAILED).
 * Federation's `{ _service { sdl } }` is an ordinary field, so a gateway still composes.
 */
export function useIntrospection(enabled: boolean): Plugin {
  if (enabled) return {};
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
