// `npm run schema:print`: writes schema/schema.graphql (the public API) and schema/subgraph.graphql
// (what a federation gateway composes); a test fails when either drifts from the code.
import { writeFile } from 'node:fs/promises';
import { printPublicSchema, printSubgraphSdl, SCHEMA_FILE, SUBGRAPH_FILE } from '../graphql/print-schema.js';

await writeFile(SCHEMA_FILE, printPublicSchema());
await writeFile(SUBGRAPH_FILE, printSubgraphSdl());
console.log(`Wrote ${SCHEMA_FILE.pathname} and ${SUBGRAPH_FILE.pathname}`);
