import pgvector from 'pgvector';

/**
 * Distance metrics a deployment can choose. Each maps to one pgvector operator and the HNSW
 * operator classes that serve it (db/vector-storage.ts): a search is only index-assisted when the
 * two agree.
 */
export const DISTANCE_METRICS = ['cosine', 'l2', 'inner_product'] as const;
export type DistanceMetric = (typeof DISTANCE_METRICS)[number];

/** A vector as a query parameter: pgvector's binary form (a Buffer) or its text form. */
export type VectorParameter = Buffer | string;

/**
 * pgvector's binary wire format (what vector_recv reads): int16 dimensions, int16 unused, then
 * float4 values, big-endian. node-pg binds a Buffer parameter in binary format, so the server
 * copies floats instead of parsing decimal text: on PGlite that parse was most of a search's
 * time (about 3.4 ms against 0.4 ms for 512 dimensions, measured in one run by bench:search's
 * lever study). float4 is what pgvector stores either way, so no precision is lost.
 */
export function toVectorParameter(values: readonly number[]): Buffer {
  const buffer = Buffer.allocUnsafe(4 + 4 * values.length);
  buffer.writeInt16BE(values.length, 0);
  buffer.writeInt16BE(0, 2);
  values.forEach((value, index) => buffer.writeFloatBE(value, 4 + 4 * index));
  return buffer;
}

/** pgvector's text form, for places a vector travels inside JSON or SQL text. */
export function toVectorText(values: readonly number[]): string {
  return pgvector.toSql(values) as string;
}

export function fromVectorText(text: string): number[] {
  return pgvector.fromSql(text) as number[];
}
