import pgvector from 'pgvector';

/** pgvector's text form of a vector, sent as a query parameter. */
export function toVectorParameter(values: readonly number[]): string {
  return pgvector.toSql(values) as string;
}

export function fromVectorText(text: string): number[] {
  return pgvector.fromSql(text) as number[];
}
