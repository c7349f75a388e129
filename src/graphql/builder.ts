import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import type { Context } from '../context.js';

export type JsonObject = Record<string, unknown>;

/** The one Pothos builder. Plugins: relay (Node interface, global IDs, cursor connections). */
export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    JSON: { Input: unknown; Output: unknown };
    DateTime: { Input: Date; Output: Date };
    ID: { Input: string; Output: string | number };
  };
}>({
  plugins: [RelayPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesQueryOptions: false,
    nodeQueryOptions: { description: "Any object by global ID, within the caller's tenant; null if there is none." },
    nodeTypeOptions: { description: 'An object with a global ID.' },
    pageInfoTypeOptions: { description: 'Where a page sits in a connection (Relay).' },
  },
});
