/** Reads pgvector's choice out of an EXPLAIN (format json) plan. */

/** The index names of every index scan anywhere in the plan tree. */
export function indexesUsed(plan: unknown): string[] {
  const found: string[] = [];
  // pg parses json columns, but a driver or proxy may hand the plan over as text.
  const tree: unknown = typeof plan === 'string' ? JSON.parse(plan) : plan;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Index Name' && typeof value === 'string') found.push(value);
      else visit(value);
    }
  };
  visit(tree);
  return found;
}
