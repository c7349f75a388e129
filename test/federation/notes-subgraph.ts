import { buildSubgraphSchema } from '@apollo/subgraph';
import { createYoga } from 'graphql-yoga';
import { parse } from 'graphql';

/**
 * A second subgraph, as another team would write it: it extends Narwhal's Document entity with
 * notes of its own, and returns Document references (by global ID) from its own root field.
 */
export function createNotesSubgraph(notesByDocumentId: Map<string, string[]>) {
  const typeDefs = parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

    type Document @key(fields: "id") {
      id: ID!
      notes: [String!]!
    }

    type Note {
      text: String!
      document: Document
    }

    type Query {
      allNotes: [Note!]!
    }
  `);
  const resolvers = {
    Query: {
      allNotes: () =>
        [...notesByDocumentId].flatMap(([id, notes]) => notes.map((text) => ({ text, document: { id } }))),
    },
    Document: {
      __resolveReference: ({ id }: { id: string }) => ({ id, notes: notesByDocumentId.get(id) ?? [] }),
    },
  };
  return createYoga({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]), graphqlEndpoint: '/graphql', logging: false });
}
