// `npm run schema:print`: writes the public SDL to schema/schema.graphql (a test fails on drift).
import { writeFile } from 'node:fs/promises';
import { printPublicSchema, SCHEMA_FILE } from '../graphql/print-schema.js';

await writeFile(SCHEMA_FILE, printPublicSchema());
console.log(`Wrote ${SCHEMA_FILE.pathname}`);
