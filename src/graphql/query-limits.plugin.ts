import { EnvelopArmor } from '@escape.tech/graphql-armor';
// Declared at the version @escape.tech/graphql-armor itself pins (its public entry exports only
// the armor): the rule alone is needed here, to run it at execution time with the variables' values.
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import {
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  Kind,
  TypeInfo,
  type ValidationContext,
  validate,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RequestLimits } from '../config.js';
import { rejectedRequest } from './client-errors.js';

type Limit = 'tokens' | 'depth' | 'aliases' | 'directives' | 'cost';

/**
 * graphql-armor's limits on what one operation may ask for: tokens while parsing, depth, aliases
 * and directives while validating, cost just before execution (see useCostLimit). Every refusal
 * is QUERY_TOO_COMPLEX with the limit it broke, before any resolver runs.
 */
export function useQueryLimits(limits: RequestLimits, options: { hideFieldSuggestions: boolean }): Plugin[] {
  const tooComplex = (limit: Limit, max: number, error: GraphQLError) =>
    rejectedRequest('QUERY_TOO_COMPLEX', error.message.replace(/^Syntax Error: /, ''), { limit, max });
  // Validation rules report through the context, so every broken limit is listed at once.
  const report = (limit: Limit, max: number) => ({
    n: max,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(tooComplex(limit, max, error))],
  });
  const armor = new EnvelopArmor({
    // The lexer has no validation context: the limit's error is thrown, ending the parse there.
    maxTokens: {
      n: limits.maxTokens,
      exposeLimits: true,
      onReject: [
        (_context, error) => {
          throw tooComplex('tokens', limits.maxTokens, error);
        },
      ],
    },
    // Fragments are a way of writing a selection, not a level of it: a spread adds no depth.
    maxDepth: { ...report('depth', limits.maxDepth), flattenFragments: true },
    maxAliases: report('aliases', limits.maxAliases),
    maxDirectives: report('directives', limits.maxDirectives),
    costLimit: { enabled: false },
    // Suggestions ("Did you mean ...?") would spell out the schema that introspection hides.
    blockFieldSuggestion: { enabled: options.hideFieldSuggestions },
  });
  return [...(armor.protect().plugins as Plugin[]), useCostLimit(limits.maxCost, tooComplex)];
}

/**
 * armor's cost multiplies a selection by its `first` argument, but reads only literals: a client
 * passing `first: $n` (the usual way) would pay for one. So cost is computed once the variables
 * are known, over the document with each variable `first`/`last` replaced by its value. The
 * verdict depends on nothing else, so it is kept per document and those values: a repeated
 * operation (the usual traffic) is not walked again (that walk was a third of yoga's own work
 * per search request).
 */
function useCostLimit(maxCost: number, tooComplex: (limit: Limit, max: number, error: GraphQLError) => GraphQLError): Plugin {
  const verdicts = new WeakMap<DocumentNode, Map<string, GraphQLError | null>>();
  const costVerdict = (schema: GraphQLSchema, document: DocumentNode, variables: Readonly<Record<string, unknown>>) => {
    // A count left out takes the variable's default, unlike an explicit null: they key apart.
    const counts = countVariables(document).map((name) => (name in variables ? variables[name] : 'default'));
    // Only integers make a key: anything else fails variable coercion anyway, and is not kept.
    const keyable = counts.every((count) => count === 'default' || count === null || Number.isSafeInteger(count));
    const key = keyable ? counts.map(String).join(',') : undefined;
    let known = verdicts.get(document);
    const cached = key === undefined ? undefined : known?.get(key);
    if (cached !== undefined) return cached;
    // A count out of its argument's range is the caller's mistake, which the field's resolver
    // names with the range (BAD_USER_INPUT). Cost is judged as if each count were within its
    // range, so `first: 100000` is not blamed on the query's complexity.
    const inlined = withCountsInRange(schema, withCountsInlined(document, variables));
    let rejected: GraphQLError | undefined;
    const rule = costLimitRule({
      maxCost,
      exposeLimits: true,
      propagateOnRejection: false,
      onReject: [(_context, error) => (rejected ??= error)],
    });
    validate(schema, inlined, [rule]);
    return remember(rejected ? tooComplex('cost', maxCost, rejected) : null);
    function remember(verdict: GraphQLError | null) {
      if (key === undefined) return verdict;
      if (!known || known.size >= MAX_VERDICTS_PER_DOCUMENT) verdicts.set(document, (known = new Map()));
      known.set(key, verdict);
      return verdict;
    }
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const verdict = costVerdict(args.schema, args.document, args.variableValues ?? {});
      if (verdict) setResultAndStopExecution({ errors: [verdict] });
    },
  };
}

// Distinct count values a client sends with one document are few (page sizes); a hostile spread
// of them only restarts that document's table.
const MAX_VERDICTS_PER_DOCUMENT = 256;

const COUNT_ARGUMENTS = new Set(['first', 'last']);

/** What a count argument declares in its extensions (see the `first` arguments in types/). */
export type CountRange = { min: number; max: number };

/** The document with each literal count clamped to the range its argument declares. */
function withCountsInRange(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        if (!COUNT_ARGUMENTS.has(node.name.value) || node.value.kind !== Kind.INT) return undefined;
        const range = typeInfo.getArgument()?.extensions?.range as CountRange | undefined;
        const value = Number(node.value.value);
        if (!range || (value >= range.min && value <= range.max)) return undefined;
        const clamped = Math.min(range.max, Math.max(range.min, value));
        return { ...node, value: { kind: Kind.INT, value: String(clamped) } };
      },
    }),
  );
}

/** The names of the variables a document passes as `first` or `last`, in order (kept per document). */
const countVariableNames = new WeakMap<DocumentNode, string[]>();
function countVariables(document: DocumentNode): string[] {
  let names = countVariableNames.get(document);
  if (!names) {
    const found: string[] = [];
    visit(document, {
      Argument(node) {
        if (COUNT_ARGUMENTS.has(node.name.value) && node.value.kind === Kind.VARIABLE) found.push(node.value.name.value);
      },
    });
    countVariableNames.set(document, (names = found));
  }
  return names;
}

function withCountsInlined(document: DocumentNode, variables: Readonly<Record<string, unknown>>): DocumentNode {
  const defaults = new Map<string, unknown>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      const value = variable.defaultValue;
      if (value?.kind === Kind.INT) defaults.set(variable.variable.name.value, Number(value.value));
    }
  }
  return visit(document, {
    Argument(node) {
      if (!COUNT_ARGUMENTS.has(node.name.value) || node.value.kind !== Kind.VARIABLE) return undefined;
      const name = node.value.name.value;
      const value = name in variables ? variables[name] : defaults.get(name);
      // A value that is not an integer fails variable coercion later, with its own error.
      if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
      return { ...node, value: { kind: Kind.INT, value: String(value) } };
    },
  });
}
