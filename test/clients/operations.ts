// The operations and corpus both client tests use; each client parses them with its own gql.

export type DocumentFields = { __typename?: 'Document'; id: string; externalId: string; content: string };
export type UpsertData = {
  upsertDocuments: { documents: (DocumentFields & { metadata: unknown; updatedAt: string })[] };
};
export type UpsertVariables = { documents: { externalId?: string; content: string; metadata?: unknown }[] };
export type SearchData = {
  search: { hits: { rank: number; distance: number; score: number; document: DocumentFields }[] };
};
export type SearchVariables = { query?: string; first?: number };

export const UPSERT_SOURCE = `
  mutation Upsert($documents: [DocumentInput!]!) {
    upsertDocuments(documents: $documents) {
      documents { id externalId content metadata updatedAt }
    }
  }
`;

export const SEARCH_SOURCE = `
  query Search($query: String, $first: Int) {
    search(query: $query, first: $first) {
      hits { rank distance score document { id externalId content } }
    }
  }
`;

export const CORPUS = [
  { externalId: 'cat', content: 'the cat sleeps on the warm mat', metadata: { kind: 'animal' } },
  { externalId: 'dog', content: 'the dog barks at the mail carrier', metadata: { kind: 'animal' } },
  { externalId: 'stocks', content: 'stock markets fell sharply on monday', metadata: { kind: 'finance' } },
  { externalId: 'cats', content: 'a cat and another cat chase a mouse', metadata: { kind: 'animal' } },
];
