import type { AuthMode } from '../auth/auth-config.js';

// Every operation here runs as it stands against the demo tenant: nothing to paste first
// (test/graphiql runs each one).
const OPERATIONS = `query SearchByText {
  search(query: "how do plants make energy from light?", first: 5) {
    hits { rank distance score document { externalId content metadata } }
  }
}

query SearchByVector {
  # A search by vector, with a vector already stored: each document's own embedding, through
  # \`similar\` (no model call). To send your own, use search(vector: [...]) with the
  # deployment's dimension.
  documents(first: 1) {
    edges {
      node {
        externalId
        content
        similar(first: 3) { hits { rank distance document { externalId content } } }
      }
    }
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

const WELCOME: Record<AuthMode, (tenant: string) => string> = {
  dev: (tenant) => `# Welcome to Narwhal. The headers tab sends x-tenant-id: ${tenant} (AUTH_MODE=dev).`,
  apikey: (tenant) =>
    `# Welcome to Narwhal. This server runs with AUTH_MODE=apikey: in the headers tab, replace the\n` +
    `# placeholder with an API key an admin created for the ${tenant} tenant (createApiKey).`,
  jwt: (tenant) =>
    `# Welcome to Narwhal. This server runs with AUTH_MODE=jwt: in the headers tab, replace the\n` +
    `# placeholder with a JWT naming the ${tenant} tenant in its tenant claim.`,
};

/** What GraphiQL opens with: a welcome that matches the auth mode, then runnable examples. */
export function graphiqlExampleOperations(authMode: AuthMode, tenant: string): string {
  return `${WELCOME[authMode](tenant)}\n# Pick an operation with the run button's menu.\n\n${OPERATIONS}`;
}

/** The headers GraphiQL prefills: the credential the auth mode asks for. */
export function graphiqlHeaders(authMode: AuthMode, tenant: string): Record<string, string> {
  if (authMode === 'apikey') return { authorization: `Bearer <an API key of the ${tenant} tenant: nwk_...>` };
  if (authMode === 'jwt') return { authorization: `Bearer <a JWT naming the ${tenant} tenant>` };
  return { 'x-tenant-id': tenant };
}
