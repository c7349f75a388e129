// pg ships this module (its package exports lib/*) without typings; only prepareValue is used.
declare module 'pg/lib/utils.js' {
  export function prepareValue(value: unknown): unknown;
}
