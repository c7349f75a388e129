import { type DocumentNode, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { rejectedRequest } from './client-errors.js';

export type InputSizeLimits = {
  /** Longest list any argument or variable may hold. */
  maxListLength: number;
  /** Longest string any argument or variable may hold. */
  maxStringLength: number;
  /** Deepest nesting of lists and objects in a variable (JSON metadata and filters included). */
  maxNesting: number;
};

/**
 * A backstop on the size of what a request carries, checked before any resolver runs: resolvers
 * resolve the tenant (a query) before their own validation, so without this a 100,000-number
 * vector or a megabyte of search text would reach the database first. The limits sit above every
 * field's own (set in server.ts), so a near miss still gets the field's precise message.
 */
export function useInputSizeLimits(limits: InputSizeLimits): Plugin {
  // A document's literals are the same every time it comes back: checked once per document.
  const literalProblems = new WeakMap<DocumentNode, Problem | null>();
  const literalProblem = (document: DocumentNode) => {
    let problem = literalProblems.get(document);
    if (problem === undefined) literalProblems.set(document, (problem = oversizedLiteral(document, limits) ?? null));
    return problem ?? undefined;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const problem = oversizedVariable(args.variableValues ?? {}, limits) ?? literalProblem(args.document);
      if (problem) {
        setResultAndStopExecution({
          errors: [rejectedRequest('BAD_USER_INPUT', `${problem.field}: ${problem.message}`, { field: problem.field })],
        });
      }
    },
  };
}

type Problem = { field: string; message: string };

function tooLong(kind: 'list' | 'string', length: number, max: number): string {
  return kind === 'list'
    ? `a list of ${length} items is longer than any argument accepts (at most ${max})`
    : `a string of ${length} characters is longer than any argument accepts (at most ${max})`;
}

// Iterative, so a hostile nesting depth cannot overflow the stack while it is being measured.
function oversizedVariable(variables: Readonly<Record<string, unknown>>, limits: InputSizeLimits): Problem | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = Object.entries(variables).map(([name, value]) => ({
    value,
    path: `$${name}`,
    depth: 0,
  }));
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) return { field: path, message: tooLong('string', value.length, limits.maxStringLength) };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limits.maxNesting) {
      return { field: path, message: `nests lists and objects deeper than ${limits.maxNesting} levels` };
    }
    if (Array.isArray(value)) {
      if (value.length > limits.maxListLength) return { field: path, message: tooLong('list', value.length, limits.maxListLength) };
      // Numbers and booleans need no look; most of a large variable (vectors) is numbers.
      value.forEach((item, i) => {
        if (typeof item === 'object' || typeof item === 'string') stack.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 });
      });
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'object' || typeof item === 'string') stack.push({ value: item, path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  return undefined;
}

function oversizedLiteral(document: DocumentNode, limits: InputSizeLimits): Problem | undefined {
  let problem: Problem | undefined;
  let argument: string | undefined;
  visit(document, {
    Argument: {
      enter: (node) => {
        argument = node.name.value;
      },
      leave: () => {
        argument = undefined;
      },
    },
    StringValue(node) {
      if (node.value.length > limits.maxStringLength) {
        problem ??= { field: argument ?? 'a string literal', message: tooLong('string', node.value.length, limits.maxStringLength) };
      }
    },
    ListValue(node) {
      if (node.values.length > limits.maxListLength) {
        problem ??= { field: argument ?? 'a list literal', message: tooLong('list', node.values.length, limits.maxListLength) };
      }
    },
  });
  return problem;
}
