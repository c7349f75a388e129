import SchemaBuilder from '@pothos/core';
import DirectivePlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin from '@pothos/plugin-relay';
import type { Context } from '../context.js';

/** The page sizes a Relay connection takes (first, last). */
export const CONNECTION_PAGE = { min: 0, max: 100 } as const;

/**
 * The one Pothos builder. Plugin order: relay (Node interface, global IDs, connections), then
 * directives, then federation, which must come after any plugin that wraps resolvers.
 */
export type NarwhalSchemaTypes = {
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    JSON: { Input: unknown; Output: unknown };
    DateTime: { Input: Date; Output: Date };
    ID: { Input: string; Output: string | number };
  };
};

/** A query field builder, for helpers that define arguments shared by several fields. */
export type QueryFieldBuilder = PothosSchemaTypes.QueryFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<NarwhalSchemaTypes>, object>;

export const builder = new SchemaBuilder<NarwhalSchemaTypes>({
  plugins: [RelayPlugin, DirectivePlugin, FederationPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesQueryOptions: false,
    nodeQueryOptions: { description: "Any object by global ID, within the caller's tenant; null if there is none." },
    nodeTypeOptions: { description: 'An object with a global ID.' },
    // Every Relay subgraph defines PageInfo; composition needs each copy marked shareable.
    pageInfoTypeOptions: { description: 'Where a page sits in a connection (Relay).', shareable: true },
    // Connections return at most 100 items (the relay plugin's maxSize): a larger count is refused
    // with its range rather than silently cut (the query-limits plugin reads `range` to judge cost).
    firstArgOptions: { description: 'How many items from the start, 0-100.', extensions: { range: CONNECTION_PAGE } },
    lastArgOptions: { description: 'How many items from the end, 0-100.', extensions: { range: CONNECTION_PAGE } },
  },
});
