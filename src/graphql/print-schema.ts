import { printSchema } from 'graphql';
import { schema } from './schema.js';

export const SCHEMA_FILE = new URL('../../schema/schema.graphql', import.meta.url);

/** The SDL clients code against; checked in so every API change shows up in review. */
export function printPublicSchema(): string {
  return `${printSchema(schema)}\n`;
}
