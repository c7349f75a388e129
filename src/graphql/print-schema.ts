import { printSubgraphSchema } from '@apollo/subgraph';
import { GraphQLObjectType, GraphQLSchema, isSpecifiedDirective, printSchema } from 'graphql';
import { schema } from './schema.js';

export const SCHEMA_FILE = new URL('../../schema/schema.graphql', import.meta.url);
export const SUBGRAPH_FILE = new URL('../../schema/subgraph.graphql', import.meta.url);

// Federation plumbing: `_service`/`_entities`, `_Any`-style types and the link__/federation__ types.
const isFederationName = (name: string) => name.startsWith('_') || name.includes('__');

/** The SDL clients code against, without the federation plumbing; checked in for review. */
export function printPublicSchema(): string {
  const config = schema.toConfig();
  const query = schema.getQueryType() as GraphQLObjectType;
  const queryConfig = query.toConfig();
  const publicQuery = new GraphQLObjectType({
    ...queryConfig,
    fields: Object.fromEntries(Object.entries(queryConfig.fields).filter(([name]) => !isFederationName(name))),
  });
  const publicSchema = new GraphQLSchema({
    ...config,
    query: publicQuery,
    types: config.types.filter((type) => !isFederationName(type.name) && type !== query),
    directives: config.directives.filter(isSpecifiedDirective),
  });
  return `${printSchema(publicSchema)}\n`;
}

/** The SDL an Apollo Federation gateway composes (what `_service { sdl }` answers). */
export function printSubgraphSdl(): string {
  return `${printSubgraphSchema(schema).trim()}\n`;
}
