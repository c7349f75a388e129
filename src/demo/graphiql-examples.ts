/** What GraphiQL opens with: runnable examples against the demo tenant. */
export const GRAPHIQL_EXAMPLE_OPERATIONS = `# Welcome to Narwhal. The headers tab sends x-tenant-id: demo.
# Pick an operation with the run button's menu.

query SearchByText {
  search(query: "how do plants make energy from light?", first: 5) {
    hits { rank distance score document { externalId content metadata } }
  }
}

query SearchByVector($vector: [Float!]) {
  # Paste a 512-number vector into the variables, e.g. one from your own model.
  search(vector: $vector, first: 5) {
    hits { rank distance document { externalId content } }
  }
}

query FilteredSearch {
  search(query: "space exploration", first: 3, filter: { topic: "science" }) {
    hits { rank score document { externalId content metadata } }
  }
}

mutation Upsert {
  upsertDocuments(documents: [
    { externalId: "note-1", content: "Narwhals are Arctic whales with a long spiral tusk.", metadata: { topic: "animals" } }
  ]) {
    documents { id externalId updatedAt }
  }
}

query MyTenant {
  tenant { slug name documentCount hnsw { m efConstruction } efSearch }
}
`;
