/**
 * Prometheus keeps one time series per distinct label value, so a label fed from client input
 * (operation names, error codes) must have a bounded set of values or a client can exhaust the
 * server's memory and the monitoring system's. Known values always pass; others are admitted
 * while fewer than maxDistinct have been, if they are short, plain names; the rest become OTHER.
 */
export const OTHER_LABEL = 'other';

export type BoundedLabelOptions = {
  /** Values that always pass (the schema's root fields, the error catalogue); they do not count. */
  known?: Iterable<string>;
  /** Unknown values admitted at most; then every new one is OTHER. */
  maxDistinct: number;
  /** Longer values are OTHER. Default 64. */
  maxLength?: number;
  /** Values not matching are OTHER. Default: a GraphQL name. */
  pattern?: RegExp;
};

export function createBoundedLabel(options: BoundedLabelOptions): (value: string) => string {
  const known = new Set(options.known ?? []);
  const admitted = new Set<string>();
  const maxLength = options.maxLength ?? 64;
  const pattern = options.pattern ?? /^[_A-Za-z][_0-9A-Za-z]*$/;
  return (value) => {
    if (known.has(value) || admitted.has(value)) return value;
    if (value.length > maxLength || !pattern.test(value) || admitted.size >= options.maxDistinct) return OTHER_LABEL;
    admitted.add(value);
    return value;
  };
}
